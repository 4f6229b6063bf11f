import { defineConfig } from 'tsdown';
import { appBuild } from '../../tsdown.shared.ts';

// dist/ is Vite's bundle of the app; the server that serves it goes beside it.
export default defineConfig(
  appBuild(import.meta.dirname, { main: 'server/main.ts' }, { outDir: 'dist-server' }),
);
