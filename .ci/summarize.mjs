// Sums the vitest JSON reports of every package into one closing line.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

let passed = 0;
let failed = 0;
let skipped = 0;
const missing = [];
for (const group of ['apps', 'packages', 'tooling']) {
  if (!existsSync(group)) continue;
  for (const name of readdirSync(group)) {
    const dir = join(group, name);
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
    }
  }
}
if (missing.length) console.log(`no test report from: ${missing.join(', ')}`);
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || missing.length > 0 || passed === 0 ? 1 : 0);
