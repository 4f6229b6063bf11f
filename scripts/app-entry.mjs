// What an app's bin runs: the compiled app (dist/, from `pnpm build`) when there is one;
// in a workspace that has not been built, its TypeScript sources through tsx (a devDependency).
import { existsSync } from 'node:fs';

/** `binUrl` is the bin's import.meta.url; the app's files sit beside its bin/ folder. */
export async function runApp(binUrl) {
  const compiled = new URL('../dist/main.mjs', binUrl);
  if (existsSync(compiled)) return import(compiled.href);
  const { register } = await import('tsx/esm/api');
  register();
  return import(new URL('../src/main.ts', binUrl).href);
}
