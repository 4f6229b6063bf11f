import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { WEB_DIR } from './ensure-built';

export const COMPILED_MAIN = join(WEB_DIR, 'dist-server', 'main.mjs');

/** Compiles the server as `pnpm --filter @taskflow/web build` does (well under a second). */
export function compileServer(): void {
  execFileSync('pnpm', ['exec', 'tsdown', '--log-level', 'warn'], {
    cwd: WEB_DIR,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}
