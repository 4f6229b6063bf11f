import { createHash, randomBytes } from 'node:crypto';
import {
  LIMITS,
  type Page,
  type Project,
  type ProjectAddMemberInput,
  type ProjectCreateInput,
  type ProjectDetail,
  type ProjectListInput,
  type ProjectRemoveMemberInput,
  type ProjectUpdateInput,
  truncateText,
} from '@taskflow/contracts';
import { type DB, type Kysely, type ProjectRow, sql, type Transaction } from '@taskflow/db';
import { TRPCError } from '@trpc/server';
import type { z } from 'zod';
import { conflict, forbidden, notFound } from '../errors';
import { type ProjectAccess, requireVisibleProject } from './access';
import type { Actor } from './actor';
import { decodeCursor, encodeCursor, pageOf, refuseCursorWithOffset } from './cursor';
import { pageRange } from './page-range';
import { record } from './record';
import { iso, toProject } from './rows';
import { getWorkerRow } from './workers';

function requireOwner(access: ProjectAccess, actor: Actor, doing: string): void {
  if (access.role !== 'owner' && !actor.is_admin) {
    throw forbidden(`Only an owner of project '${access.project.slug}' or an admin can ${doing}`);
  }
}

/** A new project's first member is its creator, as owner; the creation is recorded. */
async function startProject(
  trx: Transaction<DB>,
  actor: Actor,
  project: ProjectRow,
  context: Record<string, unknown>,
): Promise<void> {
  await trx
    .insertInto('project_members')
    .values({ project_id: project.id, worker_id: actor.id, role: 'owner' })
    .execute();
  await record(trx, actor, 'project_created', context, { project_slug: project.slug });
}

export async function createProject(
  trx: Transaction<DB>,
  actor: Actor,
  input: z.output<typeof ProjectCreateInput>,
): Promise<Project> {
  const row = await trx
    .insertInto('projects')
    .values({
      slug: input.slug,
      name: input.name,
      description: input.description,
      owner_id: actor.id,
      default_lease_seconds: input.default_lease_seconds ?? null,
    })
    .onConflict((oc) => oc.column('slug').doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!row) throw conflict(`Project slug '${input.slug}' is taken`);
  await startProject(trx, actor, row, { name: row.name });
  return toProject(row, 'owner');
}

function slugify(text: string): string {
  return text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
}

/**
 * Readable first ("ann-tasks", from the worker's name), then unique to the
 * worker, then random: the first two can be predicted, and so taken by someone
 * else first, but that must not keep anyone from their first task.
 */
function* defaultSlugCandidates(actor: Actor): Generator<string> {
  const base = slugify(actor.name) || slugify(actor.id) || 'worker';
  const hash = createHash('sha256').update(actor.id).digest('hex').slice(0, 8);
  yield `${base}-tasks`;
  yield `${base}-${hash}-tasks`;
  for (let i = 0; i < 8; i++) yield `tasks-${randomBytes(6).toString('hex')}`;
}

/**
 * The project a worker's tasks land in when they name none, created on first
 * use. Concurrent first uses settle on one row via the partial unique index.
 */
export async function ensureDefaultProject(
  trx: Transaction<DB>,
  actor: Actor,
): Promise<ProjectRow> {
  const findDefault = () =>
    trx
      .selectFrom('projects')
      .selectAll()
      .where('owner_id', '=', actor.id)
      .where('is_default', '=', true)
      .executeTakeFirst();
  const existing = await findDefault();
  if (existing) return existing;
  for (const slug of defaultSlugCandidates(actor)) {
    const created = await trx
      .insertInto('projects')
      .values({
        slug,
        name: truncateText(`${actor.name}'s tasks`, LIMITS.nameMax),
        owner_id: actor.id,
        is_default: true,
      })
      .onConflict((oc) => oc.doNothing())
      .returningAll()
      .executeTakeFirst();
    if (created) {
      await startProject(trx, actor, created, { name: created.name, default: true });
      return created;
    }
    // Either a concurrent request created it, or the slug belongs to someone else.
    const raced = await findDefault();
    if (raced) return raced;
  }
  throw conflict('Could not create a default project: name one with project_slug');
}

export async function listProjects(
  db: Kysely<DB>,
  actor: Actor,
  input: z.output<typeof ProjectListInput>,
): Promise<Page<Project>> {
  refuseCursorWithOffset(input);
  const after =
    input.cursor == null
      ? undefined
      : decodeCursor('projects', {}, input.cursor, { id: 'int', value: 'text' });
  let query = db
    .selectFrom('projects')
    .innerJoin('project_members', 'project_members.project_id', 'projects.id')
    .selectAll('projects')
    .select('project_members.role as member_role')
    .where('project_members.worker_id', '=', actor.id);
  if (after) {
    query = query.where(
      sql<boolean>`(projects.name, projects.id) > (${after.v}::text, ${after.i}::int)`,
    );
  }
  const rows = await query
    .orderBy('projects.name')
    .orderBy('projects.id')
    .$call(pageRange(input.limit + 1, input.offset))
    .execute();
  return pageOf(
    rows,
    input.limit,
    ({ member_role, ...row }) => toProject(row, member_role),
    (row) => encodeCursor('projects', {}, { v: row.name, i: row.id }),
  );
}

export async function getProject(
  db: Kysely<DB>,
  actor: Actor,
  slug: string,
): Promise<ProjectDetail> {
  const access = await requireVisibleProject(db, actor, slug);
  const members = await db
    .selectFrom('project_members')
    .innerJoin('workers', 'workers.id', 'project_members.worker_id')
    .select([
      'project_members.worker_id',
      'project_members.role',
      'project_members.created_at',
      'workers.name',
      'workers.type',
    ])
    .where('project_members.project_id', '=', access.project.id)
    .orderBy('project_members.created_at')
    .orderBy('project_members.worker_id')
    .execute();
  return {
    ...toProject(access.project, access.role),
    members: members.map((m) => ({
      worker_id: m.worker_id,
      name: m.name,
      type: m.type,
      role: m.role,
      created_at: iso(m.created_at),
    })),
  };
}

export async function updateProject(
  trx: Transaction<DB>,
  actor: Actor,
  input: z.output<typeof ProjectUpdateInput>,
): Promise<Project> {
  const access = await requireVisibleProject(trx, actor, input.slug);
  requireOwner(access, actor, 'edit it');
  const changes: Record<string, { from: string | number | null; to: string | number | null }> = {};
  if (input.name !== undefined && input.name !== access.project.name)
    changes.name = { from: access.project.name, to: input.name };
  if (input.description !== undefined && input.description !== access.project.description)
    changes.description = { from: access.project.description, to: input.description };
  if (
    input.default_lease_seconds !== undefined &&
    input.default_lease_seconds !== access.project.default_lease_seconds
  )
    changes.default_lease_seconds = {
      from: access.project.default_lease_seconds,
      to: input.default_lease_seconds,
    };
  if (Object.keys(changes).length === 0) return toProject(access.project, access.role);
  const row = await trx
    .updateTable('projects')
    .set({
      ...(input.name !== undefined && changes.name && { name: input.name }),
      ...(input.description !== undefined &&
        changes.description && { description: input.description }),
      ...(changes.default_lease_seconds && {
        default_lease_seconds: input.default_lease_seconds ?? null,
      }),
      updated_at: new Date(),
    })
    .where('id', '=', access.project.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await record(trx, actor, 'project_updated', { changes }, { project_slug: row.slug });
  return toProject(row, access.role);
}

async function ownerCount(trx: Transaction<DB>, projectId: number): Promise<number> {
  const { n } = await trx
    .selectFrom('project_members')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('project_id', '=', projectId)
    .where('role', '=', 'owner')
    .executeTakeFirstOrThrow();
  return Number(n);
}

/**
 * Serialises changes to one project's structure: membership (so two cannot
 * remove its last two owners) and re-parenting (so two moves cannot close a loop).
 */
export async function lockProject(trx: Transaction<DB>, projectId: number): Promise<void> {
  await trx.selectFrom('projects').select('id').where('id', '=', projectId).forUpdate().execute();
}

export async function addMember(
  trx: Transaction<DB>,
  actor: Actor,
  input: z.output<typeof ProjectAddMemberInput>,
): Promise<ProjectDetail> {
  const access = await requireVisibleProject(trx, actor, input.slug);
  requireOwner(access, actor, 'manage its members');
  const worker = await getWorkerRow(trx, input.worker_id);
  if (!worker) {
    throw new TRPCError({
      code: 'NOT_FOUND',
      message: `Worker '${input.worker_id}' not found: they must sign in once, or an admin registers them`,
    });
  }
  await lockProject(trx, access.project.id);
  const previous = await trx
    .selectFrom('project_members')
    .select('role')
    .where('project_id', '=', access.project.id)
    .where('worker_id', '=', input.worker_id)
    .executeTakeFirst();
  if (previous?.role === input.role) return getProject(trx, actor, input.slug);
  if (previous?.role === 'owner' && (await ownerCount(trx, access.project.id)) === 1) {
    throw conflict(
      `'${input.worker_id}' is the last owner of project '${input.slug}'; make someone else owner first`,
    );
  }
  await trx
    .insertInto('project_members')
    .values({ project_id: access.project.id, worker_id: input.worker_id, role: input.role })
    .onConflict((oc) => oc.columns(['project_id', 'worker_id']).doUpdateSet({ role: input.role }))
    .execute();
  await record(
    trx,
    actor,
    'member_added',
    {
      worker_id: input.worker_id,
      role: input.role,
      previous_role: previous?.role ?? null,
    },
    { project_slug: access.project.slug },
  );
  return getProject(trx, actor, input.slug);
}

export async function removeMember(
  trx: Transaction<DB>,
  actor: Actor,
  input: z.output<typeof ProjectRemoveMemberInput>,
): Promise<{ slug: string; worker_id: string; removed: true }> {
  const access = await requireVisibleProject(trx, actor, input.slug);
  // Anyone may leave; removing someone else takes an owner.
  if (input.worker_id !== actor.id) requireOwner(access, actor, 'manage its members');
  await lockProject(trx, access.project.id);
  const member = await trx
    .selectFrom('project_members')
    .select('role')
    .where('project_id', '=', access.project.id)
    .where('worker_id', '=', input.worker_id)
    .executeTakeFirst();
  if (!member) throw notFound(`Member '${input.worker_id}' of project '${input.slug}'`);
  if (member.role === 'owner' && (await ownerCount(trx, access.project.id)) === 1) {
    throw conflict(
      `'${input.worker_id}' is the last owner of project '${input.slug}'; make someone else owner first`,
    );
  }
  await trx
    .deleteFrom('project_members')
    .where('project_id', '=', access.project.id)
    .where('worker_id', '=', input.worker_id)
    .execute();
  await record(
    trx,
    actor,
    'member_removed',
    { worker_id: input.worker_id, role: member.role },
    { project_slug: access.project.slug },
  );
  return { slug: access.project.slug, worker_id: input.worker_id, removed: true };
}
