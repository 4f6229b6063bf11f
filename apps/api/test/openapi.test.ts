import { Validator } from '@seriousme/openapi-schema-validator';
import { appRouter } from '@taskflow/router';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { procedureDef } from '../src/rest/procedures';
import { REST_ROUTES } from '../src/rest/routes';
import { type Harness, startHarness } from './helpers/harness';

type Doc = {
  openapi: string;
  paths: Record<
    string,
    Record<
      string,
      {
        operationId: string;
        responses: Record<string, unknown>;
        security?: unknown[];
        parameters?: { name: string; in: string }[];
        requestBody?: unknown;
      }
    >
  >;
  components: {
    securitySchemes: Record<string, unknown>;
    schemas: Record<string, unknown>;
    responses: Record<string, { headers?: Record<string, unknown> }>;
  };
};

describe('OpenAPI 3.1 document and Swagger UI', () => {
  let h: Harness;
  let doc: Doc;

  beforeAll(async () => {
    h = await startHarness();
    const res = await fetch(`${h.baseUrl}/openapi.json`);
    expect(res.status).toBe(200);
    doc = (await res.json()) as Doc;
  });
  afterAll(() => h.stop());

  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    // All $refs resolve.
    expect(() => validator.resolveRefs()).not.toThrow();
    // The validator is strict: a document missing its info block fails.
    const broken = structuredClone(doc) as Partial<Doc> & { info?: unknown };
    delete broken.info;
    expect((await new Validator().validate(broken)).valid).toBe(false);
  });

  it('describes every REST operation, with schemas, errors and bearer security', () => {
    for (const route of REST_ROUTES) {
      const op = doc.paths[route.path]?.[route.method.toLowerCase()];
      expect(op, `${route.method} ${route.path}`).toBeDefined();
      if (!op) continue;
      const success = String(route.status ?? 200);
      expect(op.responses[success], `${route.method} ${route.path}`).toBeDefined();
      if (route.public) {
        expect(op.security).toEqual([]);
        expect(op.responses['429']).toBeUndefined();
      } else {
        expect(op.responses['401']).toBeDefined();
        expect(op.responses['404']).toBeDefined();
        expect(op.responses['429']).toEqual({ $ref: '#/components/responses/E429' });
        expect(Object.keys((op.responses[success] as { headers: object }).headers)).toEqual(
          expect.arrayContaining(['RateLimit', 'RateLimit-Policy']),
        );
      }
    }
    expect(Object.keys(doc.components.responses.E429?.headers ?? {}).sort()).toEqual([
      'RateLimit',
      'RateLimit-Policy',
      'Retry-After',
    ]);
    expect(doc.components.securitySchemes.bearerAuth).toEqual({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
    });
    expect(Object.keys(doc.components.schemas).sort()).toEqual(
      [
        'AuditEntry',
        'ChangeEvent',
        'Error',
        'Me',
        'Project',
        'ProjectDetail',
        'ProjectMember',
        'Task',
        'Worker',
      ].sort(),
    );
    // The change feed is documented as a stream, resumable with Last-Event-ID.
    const events = doc.paths['/api/events']?.get as unknown as {
      parameters: { in: string; name: string }[];
      responses: Record<string, { content?: Record<string, unknown> }>;
    };
    expect(Object.keys(events.responses['200']?.content ?? {})).toEqual(['text/event-stream']);
    expect(events.parameters.map((p) => `${p.in}:${p.name}`)).toEqual(
      expect.arrayContaining([
        'header:Last-Event-ID',
        'query:after',
        'query:project_slug',
        'query:task_id',
      ]),
    );
    const progress = doc.paths['/api/tasks/{id}/progress']?.post;
    expect(progress?.parameters?.map((p) => `${p.in}:${p.name}`)).toEqual(
      expect.arrayContaining(['path:id', 'query:percent', 'query:note', 'header:If-Match']),
    );
    const list = doc.paths['/api/tasks']?.get;
    expect(list?.parameters?.map((p) => p.name)).toEqual(
      expect.arrayContaining([
        'status',
        'assigned_to',
        'project',
        'project_slug',
        'parent_id',
        'priority',
        'limit',
        'offset',
        'q',
        'tag',
        'has_due_date',
        'sort_by',
        'sort_order',
      ]),
    );
  });

  it('offers Idempotency-Key on every mutation route, and only there', () => {
    for (const route of REST_ROUTES) {
      const op = doc.paths[route.path]?.[route.method.toLowerCase()];
      const headers = (op?.parameters ?? []).filter((p) => p.in === 'header').map((p) => p.name);
      const mutation = procedureDef(route.procedure).type === 'mutation';
      expect(headers.includes('Idempotency-Key'), `${route.method} ${route.path}`).toBe(mutation);
      const success = op?.responses[String(route.status ?? 200)] as { headers?: object };
      expect(Object.keys(success.headers ?? {}).includes('Idempotent-Replayed')).toBe(mutation);
    }
    expect(doc.paths['/api/tasks']?.post?.parameters?.map((p) => p.name)).toContain(
      'Idempotency-Key',
    );
  });

  it('gives every procedure a REST route (health included), each exactly once', () => {
    const procedures = Object.keys(appRouter._def.procedures).sort();
    const routed = REST_ROUTES.map((r) => r.procedure).sort();
    expect(routed).toEqual(procedures);
    const operationIds = Object.values(doc.paths).flatMap((ops) =>
      Object.values(ops).map((o) => o.operationId),
    );
    expect(new Set(operationIds).size).toBe(operationIds.length);
  });

  it('serves Swagger UI at /docs with every asset from the API itself', async () => {
    const page = await fetch(`${h.baseUrl}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);
    expect(assets.length).toBeGreaterThanOrEqual(4);
    for (const asset of assets) {
      expect(asset.startsWith('/'), `${asset} is served locally`).toBe(true);
      const res = await fetch(`${h.baseUrl}${asset}`);
      expect(res.status, asset).toBe(200);
      expect((await res.arrayBuffer()).byteLength, asset).toBeGreaterThan(0);
    }
    const init = await (await fetch(`${h.baseUrl}/docs/init.js`)).text();
    expect(init).toContain("url: '/openapi.json'");
    expect(init).toContain('persistAuthorization: true');
    expect((await fetch(`${h.baseUrl}/docs/../package.json`)).status).toBe(404);
    expect((await fetch(`${h.baseUrl}/docs/swagger-ui-bundle.js.map`)).status).toBe(404);
  });
});
