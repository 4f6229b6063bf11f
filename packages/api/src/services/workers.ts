import {
  isEmailAddress,
  LIMITS,
  type Me,
  type Page,
  truncateText,
  type Worker,
  type WorkerListInput,
  type WorkerUpsertInput,
} from '@taskflow/contracts';
import { type DB, type Kysely, sql, type Transaction, type WorkerRow } from '@taskflow/db';
import type { z } from 'zod';
import type { Principal } from '../auth/principal';
import { announceWorkerChange, type WorkerCache } from '../auth/worker-cache';
import { requireVisibleProject } from './access';
import type { Actor } from './actor';
import { decodeCursor, encodeCursor, pageOf, refuseCursorWithOffset } from './cursor';
import { likePattern } from './like-pattern';
import { pageRange } from './page-range';
import { auditRowsWritten, record } from './record';
import { iso } from './rows';

export function toWorker(row: WorkerRow): Worker {
  return { id: row.id, type: row.type, name: row.name, created_at: iso(row.created_at) };
}

/**
 * The caller's worker record, registered on first sight: as an agent when the
 * issuer's token says so (agent accounts are created by admins there), else
 * as a human. One read on the common path, none when cached; a registration or a rename is a
 * write of its own, recorded in the audit trail like any other change.
 */
export async function ensureWorker(
  db: Kysely<DB>,
  principal: Principal,
  options: {
    client?: string | undefined;
    onAuditCommitted?: ((rows: number) => void) | undefined;
    /** The process's copies of callers' rows: the common path then reads nothing. */
    cache?: WorkerCache | undefined;
  } = {},
): Promise<WorkerRow> {
  const { client, onAuditCommitted, cache } = options;
  const readAt = cache?.generation ?? 0;
  const cached = cache?.get(principal.id);
  const existing = cached ?? (await getWorkerRow(db, principal.id));
  if (existing && !renamed(existing, principal) && !newEmail(existing, principal)) {
    // Only a fresh read restarts the copy's lifetime: a hit must not prolong it.
    if (!cached) cache?.set(existing, readAt);
    return existing;
  }
  let transaction: Transaction<DB> | undefined;
  const row = await db.transaction().execute(async (trx) => {
    transaction = trx;
    const current = await trx
      .selectFrom('workers')
      .selectAll()
      .where('id', '=', principal.id)
      .forUpdate()
      .executeTakeFirst();
    if (current) {
      // Someone else may have changed it meanwhile: decide again under the lock.
      const name = renamed(current, principal) ? principal.name : undefined;
      const email = newEmail(current, principal) ? principal.email : undefined;
      if (!name && !email) return current;
      const row = await trx
        .updateTable('workers')
        .set({ ...(name && { name }), ...(email && { email }), updated_at: new Date() })
        .where('id', '=', principal.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      await announceWorkerChange(trx, row.id);
      if (name) {
        await record(trx, actorOf(row, principal, client), 'worker_renamed', {
          worker_id: row.id,
          from: current.name,
          to: row.name,
        });
      }
      // The address itself stays out of the append-only trail: it is personal data.
      if (email) {
        await record(trx, actorOf(row, principal, client), 'worker_email_changed', {
          worker_id: row.id,
        });
      }
      return row;
    }
    const row = await trx
      .insertInto('workers')
      .values({
        id: principal.id,
        type: principal.workerType ?? 'human',
        name: principal.name ?? truncateText(principal.id, LIMITS.nameMax),
        email: principal.email ?? null,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .returningAll()
      .executeTakeFirst();
    // A concurrent first request registered it: theirs is the registration on record.
    if (!row) {
      return trx
        .selectFrom('workers')
        .selectAll()
        .where('id', '=', principal.id)
        .executeTakeFirstOrThrow();
    }
    await record(trx, actorOf(row, principal, client), 'worker_registered', {
      worker_id: row.id,
      type: row.type,
      name: row.name,
    });
    return row;
  });
  if (transaction && onAuditCommitted) onAuditCommitted(auditRowsWritten(transaction));
  return row;
}

/** A person's name follows their identity provider; an agent's is set by the admin who registered it. */
function renamed(row: WorkerRow, principal: Principal): boolean {
  return row.type === 'human' && !!principal.name && principal.name !== row.name;
}

/** The token carries an address the registry does not have yet (a token without one changes nothing). */
function newEmail(row: WorkerRow, principal: Principal): boolean {
  return principal.email !== undefined && principal.email !== row.email;
}

function actorOf(row: WorkerRow, principal: Principal, client: string | undefined): Actor {
  return {
    id: row.id,
    type: row.type,
    name: row.name,
    role: principal.role,
    is_admin: principal.role === 'admin',
    client,
  };
}

export function me(actor: Actor, row: WorkerRow): Me {
  return { ...toWorker(row), role: actor.role };
}

export async function getWorkerRow(db: Kysely<DB>, id: string): Promise<WorkerRow | undefined> {
  return db.selectFrom('workers').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Admins see every worker; others see those they share a project with, and themselves. */
export async function listWorkers(
  db: Kysely<DB>,
  actor: Actor,
  input: z.output<typeof WorkerListInput>,
): Promise<Page<Worker>> {
  refuseCursorWithOffset(input);
  const filters = { type: input.type, project_slug: input.project_slug, q: input.q };
  const email = input.q && isEmailAddress(input.q) ? input.q.toLowerCase() : undefined;
  const after =
    input.cursor == null
      ? undefined
      : decodeCursor('workers', filters, input.cursor, { id: 'text', value: 'text' });
  let query = db.selectFrom('workers').selectAll('workers');
  if (input.project_slug) {
    const { project } = await requireVisibleProject(db, actor, input.project_slug);
    query = query.where((eb) =>
      eb.exists(
        eb
          .selectFrom('project_members')
          .whereRef('project_members.worker_id', '=', 'workers.id')
          .where('project_members.project_id', '=', project.id),
      ),
    );
  } else if (!actor.is_admin) {
    query = query.where((eb) =>
      eb.or([
        eb('workers.id', '=', actor.id),
        // Whoever knows a worker's whole address may find them, to add them to a project.
        ...(email ? [eb(eb.fn('lower', ['workers.email']), '=', email)] : []),
        eb.exists(
          eb
            .selectFrom('project_members as theirs')
            .innerJoin('project_members as mine', 'mine.project_id', 'theirs.project_id')
            .whereRef('theirs.worker_id', '=', 'workers.id')
            .where('mine.worker_id', '=', actor.id),
        ),
      ]),
    );
  }
  if (input.type) query = query.where('workers.type', '=', input.type);
  const q = input.q;
  if (q) {
    query = query.where((eb) =>
      eb.or([
        eb('workers.name', 'ilike', likePattern(q)),
        ...(email ? [eb(eb.fn('lower', ['workers.email']), '=', email)] : []),
      ]),
    );
  }
  if (after) {
    query = query.where(
      sql<boolean>`(workers.name, workers.id) > (${after.v}::text, ${after.i}::text)`,
    );
  }
  const rows = await query
    .orderBy('workers.name')
    .orderBy('workers.id')
    .$call(pageRange(input.limit + 1, input.offset))
    .execute();
  return pageOf(rows, input.limit, toWorker, (row) =>
    encodeCursor('workers', filters, { v: row.name, i: row.id }),
  );
}

export async function upsertWorker(
  trx: Transaction<DB>,
  actor: Actor,
  input: z.output<typeof WorkerUpsertInput>,
): Promise<Worker> {
  const previous = await getWorkerRow(trx, input.id);
  // Even a row that did not exist when read: the worker's own first call may register it
  // (and be cached) before this insert turns into an update.
  await announceWorkerChange(trx, input.id);
  const row = await trx
    .insertInto('workers')
    .values({ id: input.id, type: input.type, name: input.name })
    .onConflict((oc) =>
      oc.column('id').doUpdateSet({ type: input.type, name: input.name, updated_at: new Date() }),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
  await record(trx, actor, 'worker_upserted', {
    worker_id: row.id,
    type: row.type,
    name: row.name,
    ...(previous && { previous: { type: previous.type, name: previous.name } }),
  });
  return toWorker(row);
}
