import { writeFileSync } from 'node:fs';
import { buildOpenApiDocument } from '@taskflow/api';
import { renderTypes } from './render';

// `pnpm --filter @taskflow/rest-clients generate`: refreshes the committed client types.
const target = new URL('../src/generated/taskflow-api.d.ts', import.meta.url);
writeFileSync(target, await renderTypes(buildOpenApiDocument()));
console.log(`wrote ${target.pathname}`);
