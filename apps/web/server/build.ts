import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const WEB_DIR = fileURLToPath(new URL('..', import.meta.url));
export const DIST_DIR = join(WEB_DIR, 'dist');

function newest(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))));
}

/** Builds the app when dist/ is missing or older than its sources (about a second). */
export async function ensureBuilt(log: (msg: string) => void = () => undefined): Promise<void> {
  const built = join(DIST_DIR, 'index.html');
  const sources = Math.max(
    newest(join(WEB_DIR, 'src')),
    newest(join(WEB_DIR, 'index.html')),
    newest(join(WEB_DIR, '../../packages/contracts/src')),
  );
  if (existsSync(built) && statSync(built).mtimeMs >= sources) return;
  log('building the web app');
  const { build } = await import('vite');
  await build({ root: WEB_DIR, logLevel: 'warn', configFile: join(WEB_DIR, 'vite.config.ts') });
}
