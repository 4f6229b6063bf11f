import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDb, migrateToLatest } from '@taskflow/db';
import pg from 'pg';
import { createTasks } from './api-data';
import { startApi } from './api-process';
import { runChangeFeed } from './change-feed';
import { type Claimer, runClaimNext, runContention } from './claims';
import { httpClient } from './http';
import { BENCH_AUDIENCE, BENCH_ISSUER, type BenchIssuer, startIssuer, subjectOf } from './issuer';
import { type BenchOptions, parseOptions, type ScenarioName, USAGE } from './options';
import { formatHeader, formatRow } from './report';
import {
  analyzeDatabase,
  describeSeed,
  keepWithoutStatistics,
  type SeedResult,
  seedDatabase,
} from './seed';
import { SEARCH_WORD } from './seed-plan';
import { runWebhooks } from './webhooks';
import { runWrk, type ScenarioResult, type WrkScenario } from './wrk';

// `pnpm bench`: seed, start what is needed, run the scenarios, print one line each.

const cleanups: (() => Promise<void>)[] = [];
const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

function withDatabase(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function createDatabase(options: BenchOptions): Promise<string> {
  const name = options.databaseName ?? `taskflow_bench_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: options.pg });
  await admin.connect();
  await admin.query(`create database "${name}"`);
  await admin.end();
  const url = withDatabase(options.pg, name);
  if (!options.keep && !options.seedOnly) {
    cleanups.push(async () => {
      const again = new pg.Client({ connectionString: options.pg });
      await again.connect();
      await again.query(`drop database if exists "${name}" with (force)`);
      await again.end();
    });
  } else log(`database kept: ${url}`);
  const database = createDb({ databaseUrl: url, maxConnections: 1 });
  await migrateToLatest(database.db);
  await database.close();
  return url;
}

async function seedAndMaybeAnalyze(
  client: pg.Client,
  options: BenchOptions,
  freshDatabase: boolean,
): Promise<SeedResult> {
  const seeded = await seedDatabase(client, {
    tasks: options.seed,
    ...(options.projects !== undefined && { projects: options.projects }),
    ...(options.workers !== undefined && { workers: options.workers }),
    ...(options.mainShare !== undefined && { mainPercent: options.mainShare }),
    // Another seed may already be in a database we did not make: a prefix of its own.
    prefix: freshDatabase ? 'bench' : `bench-${Date.now().toString(36)}`,
    ...(options.token && { extraMember: subjectOf(options.token) }),
  });
  const { plan } = seeded;
  log(
    `seeded ${plan.tasks} tasks (${seeded.dependencies} dependencies, ${seeded.auditRows} task audit rows) in ${plan.projects} projects with ${plan.workers} workers in ${seeded.seconds.toFixed(1)} s`,
  );
  if (options.analyze) log(`vacuum analyze took ${(await analyzeDatabase(client)).toFixed(1)} s`);
  else if (freshDatabase) {
    await keepWithoutStatistics(client);
    log('no statistics: ANALYZE skipped, autovacuum off in the bench database');
  } else log('no ANALYZE (autovacuum of that database may still gather statistics)');
  return seeded;
}

interface Stage {
  baseUrl: string;
  seeded: SeedResult;
  client: pg.Client;
  /** Worker 0: owner of the main project. */
  owner: Claimer;
  solo: Claimer;
  claimers: Claimer[];
  agents: Claimer[];
}

async function mintClaimers(issuer: BenchIssuer, seeded: SeedResult, options: BenchOptions) {
  const claimer = async (id: string, agent: boolean): Promise<Claimer> => ({
    id,
    // name and email as seeded: the API has nothing to update on the first request.
    token: await issuer.token(id, {
      name: id === seeded.soloWorker ? 'Bench solo' : `Bench worker ${Number(id.slice(-4))}`,
      email: `${id}@bench.local`,
      agent,
    }),
  });
  const humans = seeded.workerIds.filter((_, i) => i % 4 !== 3);
  const agentIds = seeded.workerIds.filter((_, i) => i % 4 === 3);
  return {
    owner: await claimer(seeded.workerIds[0] as string, false),
    solo: await claimer(seeded.soloWorker, false),
    claimers: await Promise.all(
      Array.from({ length: options.claimClients }, (_, i) =>
        claimer(humans[(i + 1) % humans.length] as string, false),
      ),
    ),
    agents: await Promise.all(
      Array.from({ length: options.agents }, (_, i) =>
        claimer(agentIds[i % agentIds.length] as string, true),
      ),
    ),
  };
}

/** Walks the main project's default list `depth` rows deep; the cursor there. */
async function cursorAt(stage: Stage, depth: number): Promise<string> {
  let cursor = '';
  for (let rows = 0; rows < depth; rows += 100) {
    const query = `/api/tasks?project=${stage.seeded.mainSlug}&limit=100${cursor && `&cursor=${cursor}`}`;
    const answer = await fetch(`${stage.baseUrl}${query}`, {
      headers: { authorization: `Bearer ${stage.owner.token}` },
    });
    const next = answer.headers.get('x-next-cursor');
    if (answer.status !== 200 || !next)
      throw new Error(`paging ${query} answered ${answer.status}`);
    cursor = encodeURIComponent(next);
  }
  return cursor;
}

async function runScenario(
  name: ScenarioName,
  stage: Stage,
  options: BenchOptions,
  workDir: string,
): Promise<ScenarioResult> {
  const { seeded, owner } = stage;
  const main = seeded.mainSlug;
  const wrk = (scenario: Omit<WrkScenario, 'name' | 'token'> & { token?: string }) =>
    runWrk(
      {
        baseUrl: stage.baseUrl,
        duration: options.duration,
        connections: options.connections,
        threads: options.threads,
        workDir,
      },
      { name, token: owner.token, ...scenario },
    );
  const ids = async (where: string, params: unknown[]) => {
    const { rows } = await stage.client.query<{ id: number }>(
      `select id from tasks where project_id = $1 ${where} order by random() limit 2000`,
      [seeded.mainProjectId, ...params],
    );
    return rows.map((r) => r.id);
  };
  const list = (query: string) => wrk({ paths: [`/api/tasks?project=${main}&limit=50${query}`] });
  const depth = Math.min(
    10_000,
    Math.floor((seeded.plan.tasks * seeded.plan.mainPercent) / 100 / 100) * 100 - 100,
  );
  const feedLoad = {
    baseUrl: stage.baseUrl,
    client: stage.client,
    token: owner.token,
    projectSlug: main,
    writers: options.writers,
    rate: options.writeRate,
    seconds: options.duration,
  };
  switch (name) {
    case 'health':
      return wrk({ paths: ['/health'] });
    case 'get_task':
      return wrk({ paths: (await ids('', [])).map((id) => `/api/tasks/${id}`) });
    case 'list_default':
      return list('');
    case 'list_status':
      return list('&status=in_progress');
    case 'list_due_date':
      return list('&sort_by=due_date&sort_order=asc');
    case 'list_q':
      return list(`&q=${SEARCH_WORD}`);
    case 'list_all_mine':
      // No project filter, by a member of one small project only.
      return wrk({ paths: ['/api/tasks?limit=50'], token: stage.solo.token });
    case 'list_deep_cursor': {
      const result = await list(`&cursor=${await cursorAt(stage, depth)}`);
      return { ...result, note: `page after ${depth} rows, by cursor` };
    }
    case 'list_deep_offset': {
      const result = await list(`&offset=${depth}`);
      return { ...result, note: `page after ${depth} rows, by offset` };
    }
    case 'create_task':
      return wrk({
        paths: ['/api/tasks'],
        method: 'POST',
        body: JSON.stringify({
          title: 'Bench task',
          description: 'created by pnpm bench',
          priority: 'high',
          project_slug: main,
        }),
      });
    case 'patch_task': {
      // Tasks the owner may edit: its own or assigned to it.
      let mine = await ids('and (created_by = $2 or assigned_to = $2)', [owner.id]);
      // A --token caller the seed did not make creates its own.
      if (!mine.length)
        mine = await createTasks(httpClient(stage.baseUrl, owner.token, 16), main, 200, 'Patched');
      return wrk({
        paths: mine.map((id) => `/api/tasks/${id}`),
        method: 'PATCH',
        body: '{"priority":"%PRIORITY%","description":"patched by pnpm bench"}',
      });
    }
    case 'claim_contention':
      return runContention(stage.baseUrl, owner, stage.claimers, main, options.claimTasks);
    case 'claim_next':
      return runClaimNext(stage.baseUrl, owner, stage.agents, main, options.duration);
    case 'change_feed':
      return runChangeFeed({ ...feedLoad, streams: options.streams });
    case 'webhooks':
      return runWebhooks(feedLoad);
  }
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (options === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const fresh = !options.databaseUrl;
  const databaseUrl = options.databaseUrl ?? (await createDatabase(options));
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  cleanups.unshift(() => client.end());
  const seeded = options.reuse
    ? await describeSeed(client)
    : await seedAndMaybeAnalyze(client, options, fresh);
  if (options.seedOnly) return 0;

  let baseUrl = options.url;
  let claimants: Pick<Stage, 'owner' | 'solo' | 'claimers' | 'agents'>;
  if (baseUrl && options.token) {
    // One identity for everything: the caller's own token.
    const me: Claimer = { id: subjectOf(options.token), token: options.token };
    claimants = {
      owner: me,
      solo: me,
      claimers: Array.from({ length: options.claimClients }, () => me),
      agents: Array.from({ length: options.agents }, () => me),
    };
  } else {
    const issuer = await startIssuer();
    cleanups.unshift(() => issuer.stop());
    const api = await startApi({
      databaseUrl,
      jwksUrl: issuer.jwksUrl,
      issuer: BENCH_ISSUER,
      audience: BENCH_AUDIENCE,
      ...(options.apiPort !== undefined && { port: options.apiPort }),
    });
    cleanups.unshift(() => api.stop());
    baseUrl = api.baseUrl;
    claimants = await mintClaimers(issuer, seeded, options);
  }
  const stage: Stage = { baseUrl, seeded, client, ...claimants };
  const workDir = mkdtempSync(join(tmpdir(), 'taskflow-bench-'));
  cleanups.push(async () => rmSync(workDir, { recursive: true, force: true }));

  process.stdout.write(
    `# ${new Date().toISOString()} ${baseUrl}: ${seeded.plan.tasks} tasks seeded (main project ${seeded.mainSlug}: ${Math.round((seeded.plan.tasks * seeded.plan.mainPercent) / 100)}), ${options.reuse ? 'reused' : options.analyze ? 'analyzed' : 'no statistics'}; wrk -t${options.threads} -c${options.connections} -d${options.duration}s; ${cpus().length} cores, load ${loadavg()
      .map((n) => n.toFixed(1))
      .join(' ')}\n`,
  );
  process.stdout.write(`${formatHeader()}\n`);
  const failures: string[] = [];
  for (const name of options.scenarios) {
    try {
      const result = await runScenario(name, stage, options, workDir);
      process.stdout.write(`${formatRow(result)}\n`);
      if (result.failure) failures.push(result.failure);
    } catch (error) {
      process.stdout.write(`${name.padEnd(18)} FAILED: ${String(error).split('\n')[0]}\n`);
      failures.push(`${name}: ${error}`);
    }
  }
  for (const failure of failures) log(failure);
  return failures.length ? 1 : 0;
}

let cleaning: Promise<void> | undefined;
/** Runs the cleanups once: a signal and the normal end share the same run. */
function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    for (const cleanup of cleanups) await cleanup().catch((error) => log(`cleanup: ${error}`));
  })();
  return cleaning;
}

// Ctrl-C mid-run still stops the API and drops the database.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: cleaning up`);
    void cleanUp().then(() => process.exit(130));
  });
}

let code = 1;
try {
  code = await main();
} catch (error) {
  log(error instanceof Error ? error.message : String(error));
} finally {
  await cleanUp();
}
process.exit(code);
