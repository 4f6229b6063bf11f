import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Every module specifier the .mjs files in `dir` import, statically or dynamically. */
export function importsIn(dir: string): string[] {
  const found = new Set<string>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.mjs'))) {
    const code = readFileSync(join(dir, file), 'utf8');
    for (const [, spec] of code.matchAll(
      /(?:^|[\s;}])(?:import|export)\b[^'"`;]*?from\s*["']([^"']+)["']/gm,
    ))
      found.add(spec as string);
    for (const [, spec] of code.matchAll(/(?:^|[\s;}])import\s*["']([^"']+)["']/gm))
      found.add(spec as string);
    for (const [, spec] of code.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g))
      found.add(spec as string);
  }
  return [...found].sort();
}

/** `@trpc/server/http` -> `@trpc/server`; `pg` -> `pg`. */
export function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}
