// Sums the vitest JSON reports of every package into one closing line.
// `--save FILE` keeps this run's totals for a later `--add FILE` (one line for two Node versions).
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const option = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const earlier =
  option('--add') && existsSync(option('--add'))
    ? JSON.parse(readFileSync(option('--add'), 'utf8'))
    : {};
let passed = earlier.passed ?? 0;
let failed = earlier.failed ?? 0;
let skipped = earlier.skipped ?? 0;
const before = passed;
const missing = [];
const failures = [];
// Every workspace package: those in apps/, packages/ and tooling/, and examples/.
const packageDirs = [
  ...['apps', 'packages', 'tooling'].flatMap((group) =>
    existsSync(group) ? readdirSync(group).map((name) => join(group, name)) : [],
  ),
  'examples',
];
for (const dir of packageDirs) {
  if (!existsSync(join(dir, 'vitest.config.ts'))) continue;
  const reports = ['vitest.json', 'e2e.json']
    .map((name) => join(dir, '.test-results', name))
    .filter((file) => existsSync(file));
  if (!existsSync(join(dir, '.test-results', 'vitest.json'))) missing.push(dir);
  if (existsSync(join(dir, 'vitest.e2e.config.ts')) && reports.length < 2)
    missing.push(`${dir} (e2e)`);
  for (const report of reports) {
    const r = JSON.parse(readFileSync(report, 'utf8'));
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    skipped += r.numPendingTests + (r.numTodoTests ?? 0);
    // Name each failure here, at the end of the log, where a truncated CI log still shows it.
    for (const file of r.testResults ?? []) {
      for (const test of file.assertionResults ?? []) {
        if (test.status !== 'failed') continue;
        const message = (test.failureMessages?.[0] ?? '').split('\n').slice(0, 6).join('\n  ');
        failures.push(`${file.name}\n  ${test.fullName}\n  ${message}`);
      }
    }
  }
}
for (const failure of failures) console.log(`FAILED ${failure}`);
if (missing.length) console.log(`no test report from: ${missing.join(', ')}`);
const bad = failed > 0 || missing.length > 0 || passed === before;
if (option('--save')) {
  writeFileSync(option('--save'), JSON.stringify({ passed, failed, skipped }));
  console.log(
    `on node ${process.version}: ${passed} tests passed (${failed} failed, ${skipped} skipped)`,
  );
} else {
  console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
}
process.exit(bad ? 1 : 0);
