import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// `server/` (sources, run by tests) and `dist-server/` (compiled) are both one level below the app.
export const WEB_DIR = fileURLToPath(new URL('..', import.meta.url));
export const DIST_DIR = join(WEB_DIR, 'dist');
