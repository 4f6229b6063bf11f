import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DIST_DIR, WEB_DIR } from '../../server/paths';

export { DIST_DIR, WEB_DIR };

function newest(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))));
}

/**
 * Builds the bundle when dist/ is missing or older than its sources (about a second).
 * Only tests do this: the server itself never imports Vite, `build` runs before `start`.
 */
export async function ensureBuilt(): Promise<void> {
  const built = join(DIST_DIR, 'index.html');
  const sources = Math.max(
    newest(join(WEB_DIR, 'src')),
    newest(join(WEB_DIR, 'index.html')),
    newest(join(WEB_DIR, 'vite.config.ts')),
    newest(join(WEB_DIR, '../../packages/contracts/src')),
  );
  if (existsSync(built) && statSync(built).mtimeMs >= sources) return;
  const { build } = await import('vite');
  await build({ root: WEB_DIR, logLevel: 'warn', configFile: join(WEB_DIR, 'vite.config.ts') });
}
