import { parseArgs } from 'node:util';

export const SCENARIOS = [
  'health',
  'get_task',
  'list_default',
  'list_status',
  'list_due_date',
  'list_q',
  'list_all_mine',
  'list_deep_cursor',
  'list_deep_offset',
  'create_task',
  'patch_task',
  'claim_contention',
  'claim_next',
  'change_feed',
  'webhooks',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export const USAGE = `pnpm bench [options]

Without --url: creates a fresh PostgreSQL database, seeds it (--seed, default 10000), starts
the API on it (apps/api/dist, NODE_ENV=production) with a JWKS of its own, runs the scenarios,
and drops the database (--keep keeps it).
With --url: runs against that API; --database-url (its database) and --token (a JWT it
accepts) are needed; the seed is added to that database (under a fresh prefix), the token's
sub becomes a member of its main project, and every client uses that one token.
change_feed then needs that API to allow --streams streams per caller
(EVENTS_MAX_STREAMS_PER_PRINCIPAL), and webhooks needs it to deliver to loopback
(WEBHOOK_ALLOW_PRIVATE_NETWORKS=true); the API the bench starts has both.

  --seed N              tasks to seed (default 10000)
  --seed-only           seed (into --database-url, or a new database that is kept) and stop
  --analyze             VACUUM ANALYZE after seeding (default)
  --no-analyze          no statistics: skip it, and keep autovacuum off in the bench database
  --projects N --workers N --main-share PCT   the seed's shape (defaults scale with N; 50%)
  --duration S          seconds per wrk scenario and for claim-next (default 5)
  --connections C       wrk connections (default 32); --threads T (default 2)
  --scenarios a,b,...   subset, in this order: ${SCENARIOS.join(', ')}
  --claim-tasks N       tasks raced for in claim_contention (200); --claim-clients N (8)
  --agents N            agents in claim_next (8)
  --streams N           open event streams in change_feed (100)
  --writers N --write-rate R   change_feed and webhooks: N writers (4) renaming tasks,
                        R changes a second in all (50), for --duration
  --pg URL              server for the fresh database (TEST_DATABASE_URL, else local postgres)
  --api-port P          port for the API it starts (default: a free one)
  --keep                keep the database it created
  --database-name NAME  name of the database it creates (default taskflow_bench_<pid>_<time>)
  --reuse               with --database-url: no seeding; run on the seed already there
                        (prefix bench, as a fresh --keep run leaves it)
  --url URL --token JWT --database-url URL   run against a running API
`;

export interface BenchOptions {
  url?: string;
  token?: string;
  databaseUrl?: string;
  seed: number;
  seedOnly: boolean;
  analyze: boolean;
  projects?: number;
  workers?: number;
  mainShare?: number;
  duration: number;
  connections: number;
  threads: number;
  scenarios: ScenarioName[];
  claimTasks: number;
  claimClients: number;
  agents: number;
  streams: number;
  writers: number;
  writeRate: number;
  pg: string;
  apiPort?: number;
  keep: boolean;
  databaseName?: string;
  reuse: boolean;
}

function positive(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value.replaceAll('_', ''));
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
  return n;
}

export function parseOptions(argv: string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv.filter((arg) => arg !== '--'),
    options: {
      help: { type: 'boolean', short: 'h' },
      url: { type: 'string' },
      token: { type: 'string' },
      'database-url': { type: 'string' },
      seed: { type: 'string' },
      'seed-only': { type: 'boolean' },
      analyze: { type: 'boolean' },
      'no-analyze': { type: 'boolean' },
      projects: { type: 'string' },
      workers: { type: 'string' },
      'main-share': { type: 'string' },
      duration: { type: 'string' },
      connections: { type: 'string' },
      threads: { type: 'string' },
      scenarios: { type: 'string' },
      'claim-tasks': { type: 'string' },
      'claim-clients': { type: 'string' },
      agents: { type: 'string' },
      streams: { type: 'string' },
      writers: { type: 'string' },
      'write-rate': { type: 'string' },
      pg: { type: 'string' },
      'api-port': { type: 'string' },
      keep: { type: 'boolean' },
      'database-name': { type: 'string' },
      reuse: { type: 'boolean' },
    },
  });
  if (values.help) return 'help';
  if (values.analyze && values['no-analyze'])
    throw new Error('--analyze and --no-analyze exclude each other');
  if (values.url && (!values.token || !values['database-url']))
    throw new Error('--url needs --token and --database-url');
  if (values.reuse && !values['database-url']) throw new Error('--reuse needs --database-url');
  const databaseName = values['database-name'];
  if (databaseName !== undefined && !/^[a-z][a-z0-9_]{0,62}$/.test(databaseName))
    throw new Error('--database-name takes lowercase letters, digits and underscores');
  const scenarios = (values.scenarios?.split(',') ?? [...SCENARIOS]).map((s) => s.trim());
  for (const s of scenarios) {
    if (!(SCENARIOS as readonly string[]).includes(s))
      throw new Error(`unknown scenario '${s}' (known: ${SCENARIOS.join(', ')})`);
  }
  const seed = positive('seed', values.seed) ?? 10_000;
  const options: BenchOptions = {
    seed,
    seedOnly: values['seed-only'] ?? false,
    analyze: !values['no-analyze'],
    duration: positive('duration', values.duration) ?? 5,
    connections: positive('connections', values.connections) ?? 32,
    threads: positive('threads', values.threads) ?? 2,
    scenarios: scenarios as ScenarioName[],
    claimTasks: positive('claim-tasks', values['claim-tasks']) ?? 200,
    claimClients: positive('claim-clients', values['claim-clients']) ?? 8,
    agents: positive('agents', values.agents) ?? 8,
    streams: positive('streams', values.streams) ?? 100,
    writers: positive('writers', values.writers) ?? 4,
    writeRate: positive('write-rate', values['write-rate']) ?? 50,
    pg: values.pg ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    keep: values.keep ?? false,
    reuse: values.reuse ?? false,
  };
  if (databaseName !== undefined) options.databaseName = databaseName;
  if (values.url) options.url = values.url.replace(/\/$/, '');
  if (values.token) options.token = values.token;
  if (values['database-url']) options.databaseUrl = values['database-url'];
  const projects = positive('projects', values.projects);
  if (projects !== undefined) options.projects = projects;
  const workers = positive('workers', values.workers);
  if (workers !== undefined) options.workers = workers;
  const mainShare = positive('main-share', values['main-share']);
  if (mainShare !== undefined) options.mainShare = mainShare;
  const apiPort = positive('api-port', values['api-port']);
  if (apiPort !== undefined) options.apiPort = apiPort;
  return options;
}
