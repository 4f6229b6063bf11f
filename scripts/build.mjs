// Builds workspace packages through turbo (`turbo run build`, cached: an unchanged
// build takes a fraction of a second) and says nothing unless the build fails, so
// a command that builds first keeps its own output clean.
//   node scripts/build.mjs @taskflow/api [@taskflow/auth ...]    (no names: everything)
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Resolves with turbo's output when the build succeeds; rejects with it when it fails. */
export function build(packages = []) {
  const args = ['run', 'build', '--output-logs=errors-only', '--no-update-notifier', '--ui=stream'];
  for (const name of packages) args.push(`--filter=${name}`);
  const turbo = spawn(join(ROOT, 'node_modules/.bin/turbo'), args, {
    cwd: ROOT,
    env: { TURBO_TELEMETRY_DISABLED: '1', ...process.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  turbo.stdout.on('data', (chunk) => {
    output += chunk;
  });
  turbo.stderr.on('data', (chunk) => {
    output += chunk;
  });
  return new Promise((resolve, reject) => {
    turbo.once('error', reject);
    turbo.once('close', (code, signal) => {
      if (code === 0) resolve(output);
      else reject(new Error(`the build failed (${signal ?? `exit ${code}`}):\n${output}`));
    });
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    await build(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : error}\n`);
    process.exit(1);
  }
}
