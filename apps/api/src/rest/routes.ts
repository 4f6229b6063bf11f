import { MOVES, type MoveSurfaces, TASK_ACTIONS, type TaskAction } from '@taskflow/contracts';
import type { ProcedurePath } from '@taskflow/router';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RestRoute {
  method: HttpMethod;
  /** OpenAPI-style template: /api/tasks/{id}. */
  path: string;
  procedure: ProcedurePath;
  summary: string;
  tag: 'tasks' | 'workflow' | 'projects' | 'webhooks' | 'workers' | 'audit' | 'events' | 'health';
  /** Where the input (besides path parameters) is read from. */
  input: 'none' | 'query' | 'body' | 'query+body';
  /** Query parameter names kept from the original design, mapped to input fields. */
  aliases?: Record<string, string>;
  status?: 201;
  /** A null answer is sent as 204 No Content (claim-next when nothing is ready). */
  nullIs204?: boolean;
  /** The response is a task: send its version as an ETag. */
  etag?: boolean;
  /** The task version from If-Match becomes expected_version (412 when stale). */
  ifMatch?: boolean;
  public?: boolean;
  /** The procedure answers a page ({ items, next_cursor }): REST sends the items and the cursor in Link / X-Next-Cursor. */
  paged?: boolean;
  /** A subscription served as text/event-stream (each item's tracked id is the SSE `id:`). */
  stream?: boolean;
  description?: string;
}

/** POST /api/tasks/{id}/<segment>, from the move's row of MOVES. */
function moveRoute(action: TaskAction): RestRoute {
  const row: MoveSurfaces = MOVES[action];
  return {
    method: 'POST',
    path: `/api/tasks/{id}/${row.rest}`,
    procedure: `tasks.${action}`,
    summary: row.summary,
    tag: 'workflow',
    input: row.restQuery ? 'query+body' : 'body',
    etag: true,
    ifMatch: true,
    ...(row.description && { description: row.description }),
  };
}

/**
 * The REST surface: the original FastAPI design's paths, each mapped onto the
 * tRPC procedure that implements it. No rule lives here, only the mapping.
 */
export const REST_ROUTES: readonly RestRoute[] = [
  {
    method: 'GET',
    path: '/health',
    procedure: 'health.live',
    summary: 'Liveness',
    tag: 'health',
    input: 'none',
    public: true,
  },
  {
    method: 'GET',
    path: '/api/health/db',
    procedure: 'health.db',
    summary: 'Readiness: the database answers (503 otherwise)',
    tag: 'health',
    input: 'none',
    public: true,
  },

  {
    method: 'POST',
    path: '/api/tasks',
    procedure: 'tasks.create',
    summary: 'Create a task',
    description:
      "Without project_slug the task lands in the caller's default project. A new task is always pending.",
    tag: 'tasks',
    input: 'body',
    status: 201,
    etag: true,
  },
  {
    method: 'GET',
    path: '/api/tasks',
    procedure: 'tasks.list',
    summary: 'List tasks visible to the caller',
    description: '`project` is accepted as an alias of `project_slug`. Newest first by default.',
    tag: 'tasks',
    input: 'query',
    aliases: { project: 'project_slug' },
    paged: true,
  },
  {
    method: 'GET',
    path: '/api/tasks/counts',
    procedure: 'tasks.counts',
    summary: 'Count tasks per status',
    description:
      'How many tasks the caller can see, per status and in total, with the same filters as GET /api/tasks (`project` is an alias of `project_slug`).',
    tag: 'tasks',
    input: 'query',
    aliases: { project: 'project_slug' },
  },
  {
    method: 'GET',
    path: '/api/tasks/{id}',
    procedure: 'tasks.get',
    summary: 'Get a task',
    tag: 'tasks',
    input: 'none',
    etag: true,
  },
  {
    method: 'PATCH',
    path: '/api/tasks/{id}',
    procedure: 'tasks.update',
    summary: 'Edit a task (partial)',
    description:
      'Send If-Match with the ETag from GET to make the edit conditional (412 when stale).',
    tag: 'tasks',
    input: 'body',
    etag: true,
    ifMatch: true,
  },
  {
    method: 'DELETE',
    path: '/api/tasks/{id}',
    procedure: 'tasks.delete',
    summary: 'Delete a task (its audit trail stays)',
    description:
      'Send If-Match with the ETag from GET (or expected_version) to delete only the version you read (412 when stale).',
    tag: 'tasks',
    input: 'query',
    ifMatch: true,
  },
  {
    method: 'POST',
    path: '/api/tasks/{id}/assign',
    procedure: 'tasks.assign',
    summary: 'Assign a task to a project member (null unassigns)',
    tag: 'tasks',
    input: 'body',
    etag: true,
    ifMatch: true,
  },

  // The workflow: one route per row of the shared MOVES table.
  ...TASK_ACTIONS.map(moveRoute),

  {
    method: 'POST',
    path: '/api/tasks/claim-next',
    procedure: 'tasks.claimNext',
    summary: 'Claim (start) the next ready task; 204 when there is none',
    description:
      'Starts the highest-priority, oldest pending task the caller may start, among those matching the filters. Concurrent claimers each get a different task and never wait on one another. The claim holds a lease (lease_expires_at) that heartbeats extend.',
    tag: 'workflow',
    input: 'body',
    etag: true,
    nullIs204: true,
  },
  {
    method: 'POST',
    path: '/api/tasks/{id}/heartbeat',
    procedure: 'tasks.heartbeat',
    summary: "Extend your claim's lease",
    description:
      'Only the holder may; pass claim_epoch to be refused (409) if the task was claimed again since. The version does not change.',
    tag: 'workflow',
    input: 'body',
    etag: true,
  },
  {
    method: 'POST',
    path: '/api/tasks/{id}/dependencies',
    procedure: 'tasks.addDependency',
    summary: 'Make a task wait for another task of its project',
    description:
      'Body `{ depends_on_id }`. A cycle or a task of another project gets 422; adding an edge that exists changes nothing. Both tasks get a new version.',
    tag: 'tasks',
    input: 'body',
    etag: true,
    ifMatch: true,
  },
  {
    method: 'DELETE',
    path: '/api/tasks/{id}/dependencies/{depends_on_id}',
    procedure: 'tasks.removeDependency',
    summary: 'Stop a task waiting for another',
    description: 'Removing an edge that is not there changes nothing.',
    tag: 'tasks',
    input: 'query',
    etag: true,
    ifMatch: true,
  },

  {
    method: 'GET',
    path: '/api/tasks/{id}/audit',
    procedure: 'audit.list',
    summary: "A task's audit trail, oldest first",
    tag: 'audit',
    input: 'query',
    aliases: { id: 'task_id' },
    paged: true,
  },

  {
    method: 'GET',
    path: '/api/events',
    procedure: 'events.onChange',
    summary: 'Live changes (Server-Sent Events)',
    description:
      "A text/event-stream of `change` events, one per audit row of the projects the caller belongs to (admins: all), each with the task as it stands now. Every event's `id:` is its audit id: reconnect with `Last-Event-ID` (or `after`) to get everything after it. Without either the stream starts from now. A `: ping` comment comes while nothing happens. Joining or leaving a project takes effect on an open stream. At most EVENTS_MAX_STREAMS_PER_PRINCIPAL streams per caller (429 beyond); a client that stops reading is disconnected and may resume.",
    tag: 'events',
    input: 'query',
    aliases: { after: 'lastEventId' },
    stream: true,
  },
  {
    method: 'GET',
    path: '/api/events/history',
    procedure: 'events.list',
    summary: 'Changes after a cursor, oldest first (for polling)',
    description:
      'The settled events after `after` (an event id; 0 or absent: the start), with the same filters and visibility as the stream. Page on with `next_cursor` as `after`; it equals `after` when nothing newer has settled yet.',
    tag: 'events',
    input: 'query',
  },

  {
    method: 'GET',
    path: '/api/workers',
    procedure: 'workers.list',
    summary: 'List workers',
    tag: 'workers',
    input: 'query',
    paged: true,
  },
  {
    method: 'GET',
    path: '/api/workers/me',
    procedure: 'workers.me',
    summary: 'The caller',
    tag: 'workers',
    input: 'none',
  },
  {
    method: 'PUT',
    path: '/api/workers/{id}',
    procedure: 'workers.upsert',
    summary: 'Register a worker as human or agent (admin)',
    tag: 'workers',
    input: 'body',
  },

  {
    method: 'GET',
    path: '/api/projects',
    procedure: 'projects.list',
    summary: "The caller's projects",
    tag: 'projects',
    input: 'query',
    paged: true,
  },
  {
    method: 'POST',
    path: '/api/projects',
    procedure: 'projects.create',
    summary: 'Create a project (the caller becomes owner)',
    tag: 'projects',
    input: 'body',
    status: 201,
  },
  {
    method: 'GET',
    path: '/api/projects/{slug}',
    procedure: 'projects.get',
    summary: 'A project and its members',
    tag: 'projects',
    input: 'none',
  },
  {
    method: 'PATCH',
    path: '/api/projects/{slug}',
    procedure: 'projects.update',
    summary: 'Edit a project (owner or admin)',
    tag: 'projects',
    input: 'body',
  },
  {
    method: 'PUT',
    path: '/api/projects/{slug}/members/{worker_id}',
    procedure: 'projects.addMember',
    summary: "Add a member or change a member's role (owner or admin)",
    tag: 'projects',
    input: 'body',
  },
  {
    method: 'DELETE',
    path: '/api/projects/{slug}/members/{worker_id}',
    procedure: 'projects.removeMember',
    summary: 'Remove a member (owner or admin; anyone may leave)',
    tag: 'projects',
    input: 'none',
  },

  // A project's webhooks (owners and admins): {slug} is the project's.
  {
    method: 'POST',
    path: '/api/projects/{slug}/webhooks',
    procedure: 'webhooks.create',
    summary: "Subscribe a URL to the project's events (answers the signing secret, once)",
    description:
      'Messages are signed per Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature). `events` filters by type (task.started, project.member_added, ...); leave it out for all. A private, loopback or link-local address gets 422.',
    tag: 'webhooks',
    input: 'body',
    aliases: { slug: 'project_slug' },
    status: 201,
  },
  {
    method: 'GET',
    path: '/api/projects/{slug}/webhooks',
    procedure: 'webhooks.list',
    summary: "The project's webhook subscriptions (without secrets)",
    tag: 'webhooks',
    input: 'query',
    aliases: { slug: 'project_slug' },
    paged: true,
  },
  {
    method: 'GET',
    path: '/api/projects/{slug}/webhooks/{id}',
    procedure: 'webhooks.get',
    summary: 'A webhook subscription: its state, and why it was disabled',
    tag: 'webhooks',
    input: 'none',
    aliases: { slug: 'project_slug' },
  },
  {
    method: 'PATCH',
    path: '/api/projects/{slug}/webhooks/{id}',
    procedure: 'webhooks.update',
    summary: 'Change the URL or events, or disable / re-enable (re-enabling clears the failures)',
    tag: 'webhooks',
    input: 'body',
    aliases: { slug: 'project_slug' },
  },
  {
    method: 'DELETE',
    path: '/api/projects/{slug}/webhooks/{id}',
    procedure: 'webhooks.delete',
    summary: 'Delete a subscription, its queued messages and its delivery log',
    tag: 'webhooks',
    input: 'none',
    aliases: { slug: 'project_slug' },
  },
  {
    method: 'POST',
    path: '/api/projects/{slug}/webhooks/{id}/rotate-secret',
    procedure: 'webhooks.rotateSecret',
    summary: 'A new signing secret (answered once); the old one signs too for a grace period',
    tag: 'webhooks',
    input: 'none',
    aliases: { slug: 'project_slug' },
  },
  {
    method: 'POST',
    path: '/api/projects/{slug}/webhooks/{id}/test',
    procedure: 'webhooks.test',
    summary: 'Send a webhook.ping message to the endpoint',
    tag: 'webhooks',
    input: 'none',
    aliases: { slug: 'project_slug' },
  },
  {
    method: 'GET',
    path: '/api/projects/{slug}/webhooks/{id}/deliveries',
    procedure: 'webhooks.deliveries',
    summary: 'The delivery log: every attempt, newest first',
    tag: 'webhooks',
    input: 'query',
    aliases: { slug: 'project_slug' },
    paged: true,
  },
];
