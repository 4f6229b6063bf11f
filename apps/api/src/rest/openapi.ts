import {
  AuditEntrySchema,
  ChangeEventSchema,
  ErrorBodySchema,
  MeSchema,
  ProjectDetailSchema,
  ProjectMemberSchema,
  ProjectSchema,
  TaskSchema,
  WorkerSchema,
} from '@taskflow/contracts';
import { z } from 'zod';
import { inputJsonSchema, outputSchema, procedureDef } from './procedures';
import { REST_ROUTES, type RestRoute } from './routes';

type Json = Record<string, unknown>;

/** Shapes that appear in many responses get a name under components.schemas. */
const NAMED = new Map<z.ZodType, string>([
  [TaskSchema, 'Task'],
  [ProjectSchema, 'Project'],
  [ProjectDetailSchema, 'ProjectDetail'],
  [ProjectMemberSchema, 'ProjectMember'],
  [WorkerSchema, 'Worker'],
  [MeSchema, 'Me'],
  [AuditEntrySchema, 'AuditEntry'],
  [ChangeEventSchema, 'ChangeEvent'],
  [ErrorBodySchema, 'Error'],
]);

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** Drops what OpenAPI readers do not need: $schema, and regexes that only repeat `format`. */
function tidy(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(tidy);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === '$schema' || key === '$id') continue;
    if (key === 'pattern' && 'format' in schema) continue;
    out[key] = tidy(value);
  }
  return out;
}

function componentSchemas(): Json {
  const registry = z.registry<{ id: string }>();
  for (const [schema, id] of NAMED) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, {
    io: 'output',
    uri: (id) => `#/components/schemas/${id}`,
    unrepresentable: 'any',
  });
  return tidy(schemas) as Json;
}

function responseSchema(route: RestRoute): unknown {
  const output = outputSchema(route.procedure);
  // A null answer is the 204; the 200 always carries the value.
  let schema =
    route.nullIs204 && output instanceof z.ZodNullable ? (output.unwrap() as z.ZodType) : output;
  // A page travels as its plain array of items; the cursor goes in headers.
  if (route.paged && schema instanceof z.ZodObject) schema = schema.shape.items as z.ZodType;
  if (!schema) return {};
  const named = NAMED.get(schema);
  if (named) return ref(named);
  if (schema instanceof z.ZodArray) {
    const item = NAMED.get(schema.element as z.ZodType);
    if (item) return { type: 'array', items: ref(item) };
  }
  return tidy(z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }));
}

const pathParams = (route: RestRoute) =>
  [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);

/** The caller's quota (draft-ietf-httpapi-ratelimit-headers), on every authenticated response. */
const RATE_LIMIT_HEADERS: Record<string, Json> = {
  'RateLimit-Policy': {
    description:
      'The per-caller quota, e.g. `"per-principal";q=600;w=60` (600 calls a 60 s window)',
    schema: { type: 'string' },
  },
  RateLimit: {
    description:
      'What is left of it, e.g. `"per-principal";r=42;t=17` (42 calls, refilled in 17 s)',
    schema: { type: 'string' },
  },
};
const rateLimitHeaderRefs = (names: string[]) =>
  Object.fromEntries(names.map((n) => [n, { $ref: `#/components/headers/${n}` }]));

const ERROR_RESPONSES: Record<string, string> = {
  '400': 'Invalid input: `issues` lists each field',
  '401': 'Missing, malformed, expired or untrusted bearer token',
  '403': 'A member who may not do this',
  '404': "Not found, or not a member of the task's project",
  '409': 'Not allowed from the current status, or a conflicting change',
  '412': 'If-Match names a stale version; nothing changed',
  '413': 'Request body over the size limit',
  '415': 'Body not sent as application/json',
  '422':
    'Refers to something that does not fit (parent in another project, cycle, non-member assignee), or an Idempotency-Key already used for a different request',
  '429': "Over the caller's rate limit; retry after Retry-After seconds",
  '503': 'The database or the identity provider is unreachable',
};

/** On every mutation's route: the call's key for safe retries (packages/api/src/idempotency.ts). */
const IDEMPOTENCY_KEY_PARAMETER: Json = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description:
    'Makes the call safe to retry: its first outcome (success, or a refusal such as 404, 409, 412 or 422) is kept for 24 hours per caller and key, and a retry with the same key and input gets it back (with Idempotent-Replayed: true) instead of running again. The same key with another input gets 422; a duplicate sent while the first is still running waits for its outcome. Invalid input and 5xx are not kept, so their retry runs. Use a new key (e.g. a UUID) for each new call.',
  schema: { type: 'string', pattern: '^[!-~]{1,255}$' },
};

function errorCodesFor(route: RestRoute): string[] {
  if (route.public) return ['503'];
  const codes = ['400', '401', '403', '404', '409', '422', '429', '503'];
  if (route.input === 'body' || route.input === 'query+body') codes.push('413', '415');
  if (route.ifMatch) codes.push('412');
  return codes.sort();
}

function operation(route: RestRoute): Json {
  const input = inputJsonSchema(route.procedure);
  const props = (input.properties ?? {}) as Record<string, unknown>;
  const required = new Set(input.required ?? []);
  const aliasOf = Object.fromEntries(
    Object.entries(route.aliases ?? {}).map(([from, to]) => [to, from]),
  );
  const inPath = pathParams(route);
  const fieldOfParam = (param: string) => route.aliases?.[param] ?? param;
  const pathFields = new Set(inPath.map(fieldOfParam));

  const parameters: Json[] = inPath.map((name) => ({
    name,
    in: 'path',
    required: true,
    schema: tidy(props[fieldOfParam(name)] ?? { type: 'string' }),
  }));
  const bodyFields = Object.keys(props).filter((f) => !pathFields.has(f));
  if (route.input === 'query' || route.input === 'query+body') {
    for (const field of bodyFields) {
      parameters.push({
        name: field,
        in: 'query',
        required: route.input === 'query' && required.has(field),
        schema: tidy(props[field]),
      });
      const alias = aliasOf[field];
      if (alias && !inPath.includes(alias)) {
        parameters.push({
          name: alias,
          in: 'query',
          required: false,
          description: `Alias of ${field}`,
          schema: tidy(props[field]),
        });
      }
    }
  }
  if (route.ifMatch) {
    parameters.push({
      name: 'If-Match',
      in: 'header',
      required: false,
      description:
        'The ETag of the version you read; the change is refused with 412 if the task has moved on',
      schema: { type: 'string' },
    });
  }

  if (route.stream) {
    parameters.push({
      name: 'Last-Event-ID',
      in: 'header',
      required: false,
      description:
        'The `id:` of the last event received: the stream resumes after it (an EventSource sends it on reconnect). Wins over `after`.',
      schema: { type: 'string', pattern: '^\\d{1,15}$' },
    });
  }

  const mutation = procedureDef(route.procedure).type === 'mutation';
  if (mutation) parameters.push({ ...IDEMPOTENCY_KEY_PARAMETER });

  const op: Json = {
    operationId: route.procedure.replace('.', '_'),
    summary: route.summary,
    ...(route.description && { description: route.description }),
    tags: [route.tag],
    'x-trpc-procedure': route.procedure,
    ...(parameters.length && { parameters }),
  };
  if (route.input === 'body' || route.input === 'query+body') {
    const bodyRequired = [...required].filter((f) => !pathFields.has(f));
    op.requestBody = {
      required: route.input === 'body' && bodyRequired.length > 0,
      content: {
        'application/json': {
          schema: {
            type: 'object',
            properties: Object.fromEntries(bodyFields.map((f) => [f, tidy(props[f])])),
            ...(bodyRequired.length && { required: bodyRequired }),
            additionalProperties: false,
          },
        },
      },
    };
  }
  const success: Json = route.stream
    ? {
        description:
          'A stream of Server-Sent Events. Each `change` event: `id:` the audit id, `event: change`, `data:` one ChangeEvent as JSON. Comments (`: ping`) keep the connection alive.',
        content: {
          'text/event-stream': {
            schema: { type: 'string' },
            'x-event-data': ref('ChangeEvent'),
          },
        },
      }
    : {
        description: route.status === 201 ? 'Created' : 'OK',
        content: { 'application/json': { schema: responseSchema(route) } },
      };
  const headers: Json = {};
  if (route.etag)
    headers.ETag = {
      description:
        "The task's version, and while it is claimed its lease's end: send it as If-Match (the version counts) or If-None-Match",
      schema: { type: 'string' },
    };
  if (route.status === 201)
    headers.Location = { description: 'Where the new resource lives', schema: { type: 'string' } };
  if (!route.public) Object.assign(headers, rateLimitHeaderRefs(Object.keys(RATE_LIMIT_HEADERS)));
  if (route.paged) {
    headers.Link = { $ref: '#/components/headers/Link' };
    headers['X-Next-Cursor'] = { $ref: '#/components/headers/X-Next-Cursor' };
  }
  if (mutation)
    headers['Idempotent-Replayed'] = { $ref: '#/components/headers/Idempotent-Replayed' };
  if (Object.keys(headers).length) success.headers = headers;
  op.responses = {
    [String(route.status ?? 200)]: success,
    ...(route.nullIs204 && {
      '204': {
        description: 'Nothing to answer (for claim-next: no ready task matches)',
        ...(!route.public && { headers: rateLimitHeaderRefs(Object.keys(RATE_LIMIT_HEADERS)) }),
      },
    }),
    ...Object.fromEntries(
      errorCodesFor(route).map((c) => [c, { $ref: `#/components/responses/E${c}` }]),
    ),
  };
  if (route.public) op.security = [];
  return op;
}

/** The OpenAPI 3.1 description of the REST surface, generated from the procedures' schemas. */
export function buildOpenApiDocument(): Json {
  const paths: Record<string, Json> = {};
  for (const route of REST_ROUTES) {
    procedureDef(route.procedure); // fails loudly on a route to a missing procedure
    paths[route.path] ??= {};
    (paths[route.path] as Json)[route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'TaskFlow API',
      version: '1.0.0',
      description:
        'A task board that people and AI agents work on as equals. The same procedures are served as tRPC at /trpc. Authenticate with a bearer JWT.',
    },
    servers: [{ url: '/' }],
    tags: [
      { name: 'tasks', description: 'Create, read, edit and delete tasks' },
      {
        name: 'workflow',
        description: 'Move tasks through pending → in_progress → review → completed (and blocked)',
      },
      { name: 'projects', description: 'Projects and their members: the unit of access' },
      {
        name: 'webhooks',
        description:
          "Signed (Standard Webhooks) deliveries of a project's changes to other systems",
      },
      { name: 'workers', description: 'People and agents' },
      { name: 'audit', description: 'Who did what, and when' },
      { name: 'events', description: 'The change feed: live (SSE) and by cursor' },
      { name: 'health', description: 'Liveness and readiness' },
    ],
    security: [{ bearerAuth: [] }],
    paths,
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      },
      schemas: componentSchemas(),
      headers: {
        ...RATE_LIMIT_HEADERS,
        'Idempotent-Replayed': {
          description:
            'true when the answer is the stored outcome of an earlier call with the same Idempotency-Key',
          schema: { type: 'string', enum: ['true'] },
        },
        Link: {
          description:
            'Present when there is a next page: `<same path and query with cursor=...>; rel="next"` (RFC 8288). Follow it unchanged; the list holds still under concurrent inserts (keyset, not offset).',
          schema: { type: 'string' },
        },
        'X-Next-Cursor': {
          description:
            'The cursor for the next page, when there is one: pass it as `cursor` with the same filters and sort (another filter or sort gets 400; so does cursor with offset).',
          schema: { type: 'string' },
        },
        'Retry-After': {
          description: "Seconds until the quota refills (equal to the RateLimit field's t)",
          schema: { type: 'integer', minimum: 1 },
        },
      },
      responses: Object.fromEntries(
        Object.entries(ERROR_RESPONSES).map(([code, description]) => [
          `E${code}`,
          {
            description,
            ...(code === '429' && {
              headers: rateLimitHeaderRefs(['Retry-After', ...Object.keys(RATE_LIMIT_HEADERS)]),
            }),
            content: { 'application/json': { schema: ref('Error') } },
          },
        ]),
      ),
    },
  };
}
