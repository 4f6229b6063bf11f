import { readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join } from 'node:path';
import type { UserConfig } from 'tsdown';

interface PackageJson {
  name: string;
  dependencies?: Record<string, string>;
}

const WORKSPACE = /^@taskflow\//;
// The package an import names: `pg` -> `pg`, `@trpc/server/adapters/standalone` -> `@trpc/server`.
const PACKAGE = /^(@[^/\0]+\/[^/\0]+|[^./\0][^/\0]*)/;

/**
 * How every app is compiled for production (`pnpm build`): one ESM file per
 * entry in the app's dist/, for Node 20.19 and newer. The workspace packages
 * export their .ts sources, so they are bundled in; npm packages stay imports,
 * and the build fails when the output would import one that is not among the
 * app's own `dependencies` (all that a production install of the app has).
 * `import.meta.url` is kept as is: apps/x/dist/ sits as deep as apps/x/src/ and
 * packages/y/src/, so the sources' `new URL('../../../.data', import.meta.url)`
 * still names the repository's .data/ from the bundle.
 */
export function appBuild(
  appDir: string,
  entry: Record<string, string>,
  { outDir = 'dist' }: { outDir?: string } = {},
): UserConfig {
  const pkg = JSON.parse(readFileSync(join(appDir, 'package.json'), 'utf8')) as PackageJson;
  const runtime = new Set(Object.keys(pkg.dependencies ?? {}));
  const missing = new Set<string>();
  return {
    cwd: appDir,
    entry,
    platform: 'node',
    format: 'esm',
    target: 'node20.19',
    outDir,
    fixedExtension: true,
    sourcemap: true,
    clean: true,
    dts: false,
    deps: {
      alwaysBundle: [WORKSPACE],
      neverBundle: (id, importer) => {
        if (!importer) return false; // an entry point
        if (isBuiltin(id)) return true;
        const name = PACKAGE.exec(id)?.[1];
        if (!name || WORKSPACE.test(name)) return false;
        if (!runtime.has(name)) missing.add(name);
        return true;
      },
    },
    plugins: [
      {
        name: 'taskflow:runtime-dependencies',
        buildStart: () => missing.clear(),
        buildEnd: () => {
          if (missing.size === 0) return;
          throw new Error(
            `${pkg.name} imports packages that are not in its dependencies: ${[...missing].sort().join(', ')}`,
          );
        },
      },
    ],
  };
}
