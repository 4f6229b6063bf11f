import type { Webhook, WebhookDelivery, WebhookWithSecret } from '@taskflow/contracts';
import { int, str } from './args';
import type { Command } from './commands';
import { CliError, EXIT } from './exit-codes';
import { table } from './format';

function id(value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new CliError(`ID must be a positive whole number, not "${value ?? ''}"`, EXIT.usage);
  return n;
}

/** --events a,b (or "all" for every event type). */
function events(value: string | undefined): string[] | null | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === 'all') return null;
  return value
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
}

// The reason says it was disabled, and by whom or after what.
const stateOf = (w: Webhook) => (w.enabled ? 'enabled' : (w.disabled_reason ?? 'disabled'));

export function webhooksTable(hooks: Webhook[]): string {
  return table(
    ['ID', 'STATE', 'EVENTS', 'URL'],
    hooks.map((w) => [String(w.id), stateOf(w), w.events?.join(',') ?? 'all', w.url]),
  );
}

function webhookDetail(w: Webhook): string {
  return [
    ['id', String(w.id)],
    ['project', w.project_slug],
    ['url', w.url],
    ['events', w.events?.join(', ') ?? 'all'],
    ['state', stateOf(w)],
    ['failures in a row', String(w.consecutive_failures)],
    ['previous secret valid until', w.previous_secret_expires_at ?? '-'],
    ['created', `${w.created_at} by ${w.created_by}`],
  ]
    .map(([k, v]) => `${`${k}:`.padEnd(30)}${v}`)
    .join('\n');
}

function deliveriesTable(items: WebhookDelivery[]): string {
  return table(
    ['TIME', 'MESSAGE', 'ATTEMPT', 'STATUS', 'MS', 'ERROR'],
    items.map((d) => [
      d.created_at,
      d.message_id,
      String(d.attempt),
      d.status_code === null ? '-' : String(d.status_code),
      String(d.duration_ms),
      d.error ?? '',
    ]),
  );
}

const shownOnce = (w: WebhookWithSecret, verb: string) =>
  `${w.secret}\n\n${verb} webhook ${w.id} of ${w.project_slug} -> ${w.url}. Store the secret now: it is not shown again.`;

/** `taskflow webhooks ...`: a project's webhook endpoints (owners and admins). */
export const WEBHOOK_COMMANDS: Command[] = [
  {
    name: 'webhooks list',
    procedure: 'webhooks.list',
    summary: "A project's webhook endpoints and their state (owners)",
    args: ['SLUG'],
    options: { limit: { type: 'string', short: 'l' }, cursor: { type: 'string' } },
    run: async (ctx, v, a) => {
      const page = await ctx.client().webhooks.list.query({
        project_slug: a[0] ?? '',
        ...(str(v.limit) && { limit: int(str(v.limit), '--limit') }),
        ...(str(v.cursor) && { cursor: str(v.cursor) }),
      });
      const more = page.next_cursor ? `\n(more: add --cursor ${page.next_cursor})` : '';
      return { data: page, text: webhooksTable(page.items) + more };
    },
  },
  {
    name: 'webhooks create',
    procedure: 'webhooks.create',
    summary: "Send a project's events to URL, signed; prints the secret once (--events a,b)",
    args: ['SLUG', 'URL'],
    options: { events: { type: 'string', short: 'e' } },
    run: async (ctx, v, a) => {
      const wanted = events(str(v.events));
      const created = await ctx.client().webhooks.create.mutate({
        project_slug: a[0] ?? '',
        url: a[1] ?? '',
        ...(wanted !== undefined && { events: wanted }),
      });
      return { data: created, text: shownOnce(created, 'Created') };
    },
  },
  {
    name: 'webhooks show',
    procedure: 'webhooks.get',
    summary: 'One webhook endpoint: its state and why it was disabled',
    args: ['SLUG', 'ID'],
    run: async (ctx, _v, a) => {
      const hook = await ctx
        .client()
        .webhooks.get.query({ project_slug: a[0] ?? '', id: id(a[1]) });
      return { data: hook, text: webhookDetail(hook) };
    },
  },
  {
    name: 'webhooks edit',
    procedure: 'webhooks.update',
    summary: 'Change --url or --events (a,b or all), --disable, or --enable (clears the failures)',
    args: ['SLUG', 'ID'],
    options: {
      url: { type: 'string' },
      events: { type: 'string', short: 'e' },
      enable: { type: 'boolean' },
      disable: { type: 'boolean' },
    },
    run: async (ctx, v, a) => {
      if (v.enable && v.disable) throw new CliError('--enable or --disable, not both', EXIT.usage);
      const wanted = events(str(v.events));
      const hook = await ctx.client().webhooks.update.mutate({
        project_slug: a[0] ?? '',
        id: id(a[1]),
        ...(str(v.url) !== undefined && { url: str(v.url) }),
        ...(wanted !== undefined && { events: wanted }),
        ...(v.enable === true && { enabled: true }),
        ...(v.disable === true && { enabled: false }),
      });
      return { data: hook, text: webhookDetail(hook) };
    },
  },
  {
    name: 'webhooks delete',
    procedure: 'webhooks.delete',
    summary: 'Delete a webhook endpoint and its delivery log',
    args: ['SLUG', 'ID'],
    run: async (ctx, _v, a) => {
      const done = await ctx
        .client()
        .webhooks.delete.mutate({ project_slug: a[0] ?? '', id: id(a[1]) });
      return { data: done, text: `Deleted webhook ${done.id} of ${done.project_slug}` };
    },
  },
  {
    name: 'webhooks rotate',
    procedure: 'webhooks.rotateSecret',
    summary: 'A new signing secret, printed once; the old one keeps signing for a grace period',
    args: ['SLUG', 'ID'],
    run: async (ctx, _v, a) => {
      const rotated = await ctx
        .client()
        .webhooks.rotateSecret.mutate({ project_slug: a[0] ?? '', id: id(a[1]) });
      return {
        data: rotated,
        text: `${shownOnce(rotated, 'Rotated the secret of')}\nThe previous secret also signs until ${rotated.previous_secret_expires_at ?? '-'}.`,
      };
    },
  },
  {
    name: 'webhooks test',
    procedure: 'webhooks.test',
    summary: 'Send a webhook.ping to the endpoint (see it in webhooks deliveries)',
    args: ['SLUG', 'ID'],
    run: async (ctx, _v, a) => {
      const queued = await ctx
        .client()
        .webhooks.test.mutate({ project_slug: a[0] ?? '', id: id(a[1]) });
      return { data: queued, text: `Queued ping ${queued.message_id}` };
    },
  },
  {
    name: 'webhooks deliveries',
    procedure: 'webhooks.deliveries',
    summary: "An endpoint's delivery log, newest first",
    args: ['SLUG', 'ID'],
    options: { limit: { type: 'string', short: 'l' }, cursor: { type: 'string' } },
    run: async (ctx, v, a) => {
      const page = await ctx.client().webhooks.deliveries.query({
        project_slug: a[0] ?? '',
        id: id(a[1]),
        ...(str(v.limit) && { limit: int(str(v.limit), '--limit') }),
        ...(str(v.cursor) && { cursor: str(v.cursor) }),
      });
      const more = page.next_cursor ? `\n(more: add --cursor ${page.next_cursor})` : '';
      return { data: page, text: deliveriesTable(page.items) + more };
    },
  },
];
