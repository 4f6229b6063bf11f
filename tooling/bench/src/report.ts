import type { ScenarioResult } from './wrk';

const COLUMNS = ['scenario', 'req/s', 'p50_ms', 'p99_ms', 'non2xx', 'sock_err', 'requests'];
const WIDTHS = [18, 10, 9, 9, 7, 8, 9];

function line(cells: string[]): string {
  return cells
    .map((cell, i) => (i === 0 ? cell.padEnd(WIDTHS[i] ?? 0) : cell.padStart(WIDTHS[i] ?? 0)))
    .join(' ');
}

export const formatHeader = () => line(COLUMNS);

/** One scenario, as `scenario req/s p50 p99 non2xx sock_err requests  note`. */
export function formatRow(result: ScenarioResult): string {
  const cells = line([
    result.name,
    result.rps.toFixed(1),
    result.p50.toFixed(2),
    result.p99.toFixed(2),
    String(result.non2xx),
    String(result.socketErrors),
    String(result.requests),
  ]);
  return result.note ? `${cells}  # ${result.note}` : cells;
}
