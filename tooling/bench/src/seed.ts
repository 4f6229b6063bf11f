import type pg from 'pg';
import { NOUNS, planFor, type SeedPlan, sqlHash, sqlStatus, TAGS, VERBS } from './seed-plan';

// Fills a migrated database straight through SQL (INSERT ... SELECT generate_series), bypassing
// the API: a million tasks load in a minute or two where the API would take an hour. The rows
// are what the API itself would have written: every check and foreign key holds, task_dependencies
// goes through its counting trigger, audit_log only gains rows (append-only), and each task's
// trail matches its status (created, started, submitted, completed, blocked).

export interface SeedOptions {
  tasks: number;
  projects?: number;
  workers?: number;
  /** Percent of tasks in the main project. */
  mainPercent?: number;
  /** Slug and worker-id prefix; lowercase letters, digits and hyphens. */
  prefix?: string;
  /** Also make this worker (a token's sub) a member of the main project. */
  extraMember?: string;
}

export interface SeedResult {
  plan: SeedPlan;
  prefix: string;
  /** The big project every worker belongs to. */
  mainSlug: string;
  mainProjectId: number;
  /** Worker ids, index i at [i]; every fourth (i % 4 === 3) is an agent. */
  workerIds: string[];
  /** A member of one small project only: "all my projects" in a large database. */
  soloWorker: string;
  soloSlug: string;
  /** Task ids are firstTaskId .. firstTaskId + tasks - 1. */
  firstTaskId: number;
  dependencies: number;
  auditRows: number;
  seconds: number;
}

const SPAN_SECONDS = 365 * 86_400;

export const workerId = (prefix: string, index: number) =>
  `${prefix}-w${String(index).padStart(4, '0')}`;

export async function seedDatabase(client: pg.Client, options: SeedOptions): Promise<SeedResult> {
  const started = performance.now();
  const plan = planFor(options.tasks, {
    ...(options.projects !== undefined && { projects: options.projects }),
    ...(options.workers !== undefined && { workers: options.workers }),
    ...(options.mainPercent !== undefined && { mainPercent: options.mainPercent }),
  });
  const prefix = options.prefix ?? 'bench';
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(prefix) || prefix.length > 40) {
    throw new Error(`prefix '${prefix}' is not a slug`);
  }
  const { tasks: N, projects: P, workers: W, mainPercent: M, smallMembers: S } = plan;
  const q = (text: string) => client.query(text);
  const wid = (idx: string) => `'${prefix}-w' || lpad((${idx})::text, 4, '0')`;
  const slug = (p: string) =>
    `case when ${p} = 1 then '${prefix}-main' else '${prefix}-p' || lpad((${p})::text, 4, '0') end`;
  // A small project's j-th member (j < S); the main project has every worker.
  const smallMember = (p: string, j: string) => `((${p}) * 3 + (${j})) % ${W}`;
  const soloWorker = `${prefix}-solo`;

  await q('begin');
  try {
    await q('set local synchronous_commit = off');
    const base = await client.query<{ tasks: number; projects: number }>(
      `select (select coalesce(max(id), 0) from tasks)::int as tasks,
              (select coalesce(max(id), 0) from projects)::int as projects`,
    );
    const taskBase = base.rows[0]?.tasks ?? 0;
    const projectBase = base.rows[0]?.projects ?? 0;
    const soloProject = P; // the last project (the main one when there is only one)

    // Workers, registered long ago, each with its registration on record.
    await q(`insert into workers (id, type, name, email, created_at, updated_at)
      select ${wid('i')}, case when i % 4 = 3 then 'agent' else 'human' end,
             'Bench worker ' || i, ${wid('i')} || '@bench.local',
             now() - interval '400 days', now() - interval '400 days'
      from generate_series(0, ${W - 1}) i
      union all
      select '${soloWorker}', 'human', 'Bench solo', '${soloWorker}@bench.local',
             now() - interval '400 days', now() - interval '400 days'`);
    await q(`insert into audit_log (actor_id, actor_type, action, context, client, created_at)
      select w.id, w.type, 'worker_registered',
             jsonb_build_object('worker_id', w.id, 'type', w.type, 'name', w.name),
             'bench-seed', w.created_at
      from workers w where w.id like '${prefix}-w%' or w.id = '${soloWorker}' order by w.id`);
    if (options.extraMember) {
      await client.query(
        `insert into workers (id, type, name) values ($1, 'human', $1) on conflict (id) do nothing`,
        [options.extraMember],
      );
    }

    // Projects, each with its owner and members, and their trail.
    await q(`insert into projects (id, slug, name, description, owner_id, created_at, updated_at)
      select ${projectBase} + p, ${slug('p')},
             case when p = 1 then 'Bench main' else 'Bench project ' || p end,
             'Seeded for the benchmark', ${wid(`case when p = 1 then 0 else ${smallMember('p', '0')} end`)},
             now() - interval '366 days', now() - interval '366 days'
      from generate_series(1, ${P}) p`);
    await q(`insert into project_members (project_id, worker_id, role, created_at)
      select ${projectBase} + 1, ${wid('i')}, case when i = 0 then 'owner' else 'member' end,
             now() - interval '366 days'
      from generate_series(0, ${W - 1}) i
      union all
      select ${projectBase} + p, ${wid('m')},
             case when j = 0 then 'owner' else 'member' end, now() - interval '366 days'
      from generate_series(2, ${P}) p, generate_series(0, ${S - 1}) j,
           lateral (select ${smallMember('p', 'j')} as m) w
      union all
      select ${projectBase} + ${soloProject}, '${soloWorker}', 'member', now() - interval '366 days'`);
    if (options.extraMember) {
      await client.query(
        `insert into project_members (project_id, worker_id, role) values ($1, $2, 'member')
         on conflict do nothing`,
        [projectBase + 1, options.extraMember],
      );
    }
    await q(`insert into audit_log (project_slug, actor_id, actor_type, action, context, client, created_at)
      select pr.slug, pr.owner_id, w.type, 'project_created',
             jsonb_build_object('slug', pr.slug, 'name', pr.name), 'bench-seed', pr.created_at
      from projects pr join workers w on w.id = pr.owner_id
      where pr.id > ${projectBase} order by pr.id`);
    await q(`insert into audit_log (project_slug, actor_id, actor_type, action, context, client, created_at)
      select pr.slug, pr.owner_id, w.type, 'member_added',
             jsonb_build_object('worker_id', pm.worker_id, 'role', pm.role, 'previous_role', null),
             'bench-seed', pm.created_at
      from project_members pm join projects pr on pr.id = pm.project_id
      join workers w on w.id = pr.owner_id
      where pr.id > ${projectBase} and pm.worker_id <> pr.owner_id
      order by pr.id, pm.worker_id`);

    // Tasks. k is 0-based; p the project number, ord the task's place in its project;
    // a parent or a dependency is an earlier task (lower ord) of the same project, so no cycles.
    const main = `k % 100 < ${M}`;
    const smallJ = `((k / 100) * ${100 - M} + (k % 100 - ${M}))`;
    const P1 = Math.max(P - 1, 1);
    const kOf = (p: string, ordExpr: string) => {
      const ord = `(${ordExpr})`;
      return `case when ${p} = 1 then (${ord} / ${M}) * 100 + (${ord}) % ${M}
       else ((${ord}) * ${P1} + (${p}) - 2) / ${Math.max(100 - M, 1)} * 100 + ${M}
            + ((${ord}) * ${P1} + (${p}) - 2) % ${Math.max(100 - M, 1)} end`;
    };
    const planned = `(select k, h, p, ord, ${sqlStatus('h')} as st,
        now() - make_interval(secs => (${N} - k)::float8 * ${SPAN_SECONDS} / ${N}) as born
      from (select k, ${sqlHash('k')} as h,
              case when ${main} then 1 else 2 + ${smallJ} % ${P1} end as p,
              case when ${main} then (k / 100) * ${M} + k % 100 else ${smallJ} / ${P1} end as ord
            from generate_series(0::bigint, ${N - 1}) k) raw)`;
    // Worker index among the project's members, picked by a slice of the hash.
    const memberIdx = (slice: string) =>
      `case when p = 1 then (h / ${slice}) % ${W} else ${smallMember('p', `(h / ${slice}) % ${S}`)} end`;
    const blockedFromProgress = `(st = 'blocked' and (h / 7) % 2 = 1)`;
    const claimed = `(st in ('in_progress', 'review', 'completed') or ${blockedFromProgress})`;
    const assigned = `(${claimed} or (st in ('pending', 'blocked') and (h / 7) % 10 < 3))`;
    const age = `(now() - born)`;
    await q(`insert into tasks (id, project_id, title, description, status, priority,
        progress_percent, tags, due_date, assigned_to, parent_id, created_by, started_at,
        completed_at, blocked_from, blocked_reason, version, created_at, updated_at,
        lease_expires_at, lease_seconds, claim_epoch)
      select ${taskBase} + k + 1, ${projectBase} + p,
        (array[${VERBS.map((v) => `'${v}'`).join(',')}])[1 + (h / 40000) % ${VERBS.length}] || ' '
          || (array[${NOUNS.map((n) => `'${n}'`).join(',')}])[1 + (h / 320000) % ${NOUNS.length}]
          || ' #' || (k + 1),
        'Seeded task ' || (k + 1) || ' for the benchmark.',
        st,
        case when (h / 20) % 10 < 2 then 'low' when (h / 20) % 10 < 6 then 'medium'
             when (h / 20) % 10 < 9 then 'high' else 'critical' end,
        case when st = 'completed' then 100 when st = 'review' then 90
             when st = 'in_progress' or ${blockedFromProgress} then (h / 11) % 100 else 0 end,
        array_remove(array[${TAGS.map((t, i) => `case when (h / 200) & ${1 << i} <> 0 then '${t}' end`).join(', ')}]::text[], null),
        case when (h / 3200) % 10 < 6 then born + make_interval(days => ((h / 32000) % 90 + 1)::int) end,
        case when ${assigned} then ${wid(memberIdx('7'))} end,
        case when ord % 10 = 9 then ${taskBase} + 1 + ${kOf('p', 'ord - 1 - k % 5')} end,
        ${wid(memberIdx('13'))},
        case when ${claimed} then born + ${age} * 0.25 end,
        case when st = 'completed' then born + ${age} * 0.5 end,
        case when st = 'blocked' then case when (h / 7) % 2 = 1 then 'in_progress' else 'pending' end end,
        case when st = 'blocked' then 'Waiting on another team' end,
        case st when 'pending' then 1 when 'in_progress' then 2 when 'blocked' then
          case when (h / 7) % 2 = 1 then 3 else 2 end else 3 end,
        born,
        born + ${age} * case st when 'pending' then 0 when 'in_progress' then 0.25
          when 'review' then 0.4 when 'completed' then 0.5 else 0.3 end,
        case when st = 'in_progress' then now() + interval '1 day' end,
        case when st = 'in_progress' then 86400 end,
        case when ${claimed} then 1 else 0 end
      from ${planned} s
      order by k`);

    // Dependencies: one pending task in 10 waits for an earlier task of its project (pending
    // only: the API refuses to start a task with unfinished dependencies). The counting
    // trigger keeps depends_on_count and dependents_count.
    const deps =
      await q(`insert into task_dependencies (task_id, depends_on_id, project_id, created_by, created_at)
      select ${taskBase} + k + 1, ${taskBase} + 1 + ${kOf('p', 'ord - 1 - k % 3')},
             ${projectBase} + p, ${wid(memberIdx('13'))}, born + ${age} * 0.1
      from ${planned} s where ord % 10 = 4 and st = 'pending'
      order by k`);

    // Each task's trail, in the order it happened to the task.
    const auditTasks =
      await q(`insert into audit_log (task_id, project_slug, actor_id, actor_type, action, context, client, created_at)
      select t.id, pr.slug, e.actor, w.type, e.action, e.context, 'bench-seed', e.at
      from tasks t join projects pr on pr.id = t.project_id
      cross join lateral (values
        (1, 'created', t.created_by, jsonb_strip_nulls(jsonb_build_object('title', t.title,
           'priority', t.priority, 'assigned_to', t.assigned_to, 'parent_id', t.parent_id)), t.created_at),
        (2, case when t.started_at is not null then 'started' end, t.assigned_to,
           jsonb_build_object('from', 'pending', 'to', 'in_progress'), t.started_at),
        (3, case t.status when 'review' then 'submitted_for_review' when 'completed' then 'completed'
           when 'blocked' then 'blocked' end,
           coalesce(t.assigned_to, t.created_by),
           case t.status when 'review' then jsonb_build_object('from', 'in_progress', 'to', 'review')
             when 'completed' then jsonb_build_object('from', 'in_progress', 'to', 'completed')
             else jsonb_build_object('from', t.blocked_from, 'to', 'blocked', 'reason', t.blocked_reason) end,
           t.updated_at)
      ) as e(step, action, actor, context, at)
      join workers w on w.id = e.actor
      where t.id > ${taskBase} and e.action is not null
      order by t.id, e.step`);
    const auditDeps =
      await q(`insert into audit_log (task_id, project_slug, actor_id, actor_type, action, context, client, created_at)
      select d.task_id, pr.slug, d.created_by, w.type, 'dependency_added',
             jsonb_build_object('depends_on_id', d.depends_on_id, 'depends_on_title', o.title),
             'bench-seed', d.created_at
      from task_dependencies d join tasks o on o.id = d.depends_on_id
      join projects pr on pr.id = d.project_id join workers w on w.id = d.created_by
      where d.task_id > ${taskBase} order by d.task_id`);

    // Ids were given explicitly: move the identities past them, or the API's next insert collides.
    await q(`select setval(pg_get_serial_sequence('tasks', 'id'), (select max(id) from tasks)),
                    setval(pg_get_serial_sequence('projects', 'id'), (select max(id) from projects))`);
    await q('commit');
    return {
      plan,
      prefix,
      mainSlug: `${prefix}-main`,
      mainProjectId: projectBase + 1,
      workerIds: Array.from({ length: W }, (_, i) => workerId(prefix, i)),
      soloWorker,
      soloSlug: P === 1 ? `${prefix}-main` : `${prefix}-p${String(P).padStart(4, '0')}`,
      firstTaskId: taskBase + 1,
      dependencies: deps.rowCount ?? 0,
      auditRows: (auditTasks.rowCount ?? 0) + (auditDeps.rowCount ?? 0),
      seconds: (performance.now() - started) / 1000,
    };
  } catch (error) {
    await q('rollback').catch(() => undefined);
    throw error;
  }
}

/**
 * A seed already in the database (`--reuse`), read back: a million tasks take minutes to
 * load, and comparing query changes wants the same rows (and the same statistics) each run.
 */
export async function describeSeed(client: pg.Client, prefix = 'bench'): Promise<SeedResult> {
  const { rows } = await client.query<{
    main_id: number | null;
    projects: number;
    workers: number;
    tasks: number;
    main_tasks: number;
    first_task: number | null;
    solo_slug: string | null;
  }>(
    `with mine as (select id, slug from projects where slug like $1 || '-%')
     select (select id from mine where slug = $1 || '-main') as main_id,
            (select count(*) from mine)::int as projects,
            (select count(*) from workers where id like $1 || '-w%')::int as workers,
            (select count(*) from tasks where project_id in (select id from mine))::int as tasks,
            (select count(*) from tasks t join mine on mine.id = t.project_id
              where mine.slug = $1 || '-main')::int as main_tasks,
            (select min(id) from tasks where project_id in (select id from mine)) as first_task,
            (select p.slug from project_members m join projects p on p.id = m.project_id
              where m.worker_id = $1 || '-solo') as solo_slug`,
    [prefix],
  );
  const found = rows[0];
  if (!found?.main_id || !found.first_task || !found.solo_slug || !found.tasks) {
    throw new Error(`no seed with prefix '${prefix}' in that database`);
  }
  const plan = planFor(found.tasks, {
    projects: found.projects,
    workers: found.workers,
    mainPercent: Math.max(1, Math.round((found.main_tasks * 100) / found.tasks)),
  });
  return {
    plan,
    prefix,
    mainSlug: `${prefix}-main`,
    mainProjectId: found.main_id,
    workerIds: Array.from({ length: plan.workers }, (_, i) => workerId(prefix, i)),
    soloWorker: `${prefix}-solo`,
    soloSlug: found.solo_slug,
    firstTaskId: found.first_task,
    dependencies: 0,
    auditRows: 0,
    seconds: 0,
  };
}

const SEEDED_TABLES = [
  'workers',
  'projects',
  'project_members',
  'tasks',
  'task_dependencies',
  'audit_log',
];

/** Fresh planner statistics (and a visibility map) for every table. */
export async function analyzeDatabase(client: pg.Client): Promise<number> {
  const started = performance.now();
  await client.query('vacuum analyze');
  return (performance.now() - started) / 1000;
}

/**
 * The "right after loading" case: no statistics, and autovacuum kept from gathering them
 * during the run. Only for a database the bench made itself (it changes table settings).
 */
export async function keepWithoutStatistics(client: pg.Client): Promise<void> {
  for (const table of SEEDED_TABLES) {
    await client.query(`alter table ${table} set (autovacuum_enabled = false)`);
  }
}
