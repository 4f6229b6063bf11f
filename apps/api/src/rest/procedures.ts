import type { Context, ProcedurePath } from '@taskflow/router';
import { appRouter, createCallerFactory, unwrapSync } from '@taskflow/router';
import { z } from 'zod';

interface ProcedureDef {
  type: 'query' | 'mutation' | 'subscription';
  inputs: unknown[];
  output?: unknown;
}

const procedures = appRouter._def.procedures as unknown as Record<string, { _def: ProcedureDef }>;

export function procedureDef(path: ProcedurePath): ProcedureDef {
  const procedure = procedures[path];
  if (!procedure) throw new Error(`no procedure ${path}`);
  return procedure._def;
}

/** The zod schema a procedure validates its input with, if it takes one. */
export function inputSchema(path: ProcedurePath): z.ZodType | undefined {
  const parser = unwrapSync(procedureDef(path).inputs[0]);
  return parser instanceof z.ZodType ? parser : undefined;
}

export function outputSchema(path: ProcedurePath): z.ZodType | undefined {
  const parser = unwrapSync(procedureDef(path).output);
  return parser instanceof z.ZodType ? parser : undefined;
}

type JsonSchema = {
  type?: string | string[];
  anyOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
};

const inputJsonCache = new Map<ProcedurePath, JsonSchema>();

/** The input's JSON Schema (what clients send), cached per procedure. */
export function inputJsonSchema(path: ProcedurePath): JsonSchema {
  let cached = inputJsonCache.get(path);
  if (!cached) {
    const schema = inputSchema(path);
    cached = schema
      ? (z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema)
      : { type: 'object', properties: {} };
    inputJsonCache.set(path, cached);
  }
  return cached;
}

export function typesOf(schema: JsonSchema | undefined): string[] {
  if (!schema) return [];
  const own = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  return [...own, ...(schema.anyOf ?? []).flatMap(typesOf)];
}

const createCaller = createCallerFactory(appRouter);

/** Calls a procedure exactly as tRPC would: same middlewares, validation and transaction. */
export function callProcedure(
  ctx: Context,
  path: ProcedurePath,
  input: unknown,
  signal?: AbortSignal,
): Promise<unknown> {
  const caller = createCaller(ctx, signal && { signal }) as unknown as Record<
    string,
    Record<string, (input: unknown) => Promise<unknown>>
  >;
  const [ns, name] = path.split('.') as [string, string];
  const fn = caller[ns]?.[name];
  if (!fn) throw new Error(`no procedure ${path}`);
  return fn(input);
}
