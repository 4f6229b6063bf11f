import { useEffect, useState } from 'react';

/** "12m", "45s", "2h": how long until `until`, coarse enough for a card. */
export function remaining(until: string, now: number): string {
  const seconds = Math.round((Date.parse(until) - now) / 1000);
  if (seconds <= 0) return 'expired';
  if (seconds < 90) return `${seconds}s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)}m`;
  return `${Math.round(seconds / 3600)}h`;
}

/** Re-renders every `ms` so a countdown stays current. */
function useNow(ms: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}

/** The claim's lease on an in-progress task: it returns to pending when this runs out. */
export function LeaseLeft({ until }: { until: string }) {
  const now = useNow(15_000);
  const left = remaining(until, now);
  return (
    <span
      className={`lease${left === 'expired' ? ' lease-expired' : ''}`}
      title={`The claim lapses at ${new Date(until).toLocaleString()} unless its holder checks in`}
    >
      lease {left}
    </span>
  );
}
