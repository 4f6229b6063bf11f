import { defineConfig } from 'tsdown';

// The server as one file of JavaScript: workspace packages (whose exports are .ts sources)
// bundled in, npm packages left as imports resolved from apps/web/node_modules.
export default defineConfig({
  entry: { main: 'server/main.ts' },
  outDir: 'dist-server',
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  fixedExtension: true,
  sourcemap: true,
  clean: true,
  dts: false,
  deps: {
    neverBundle: true,
    alwaysBundle: [/^@taskflow\//],
  },
});
