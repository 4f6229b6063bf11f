import { run } from './run';

// `taskflow ...`: one command, one exit code scripts can rely on.
const code = await run(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => process.stdout.write(`${text}\n`),
  stderr: (text) => process.stderr.write(`${text}\n`),
  stdin: process.stdin,
});
process.exitCode = code;
