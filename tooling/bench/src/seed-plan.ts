// What the seeder makes, as arithmetic on a task's 0-based number k: which project, status,
// priority, tags and due date it gets. The SQL in seed.ts evaluates the same formulas inside
// PostgreSQL (generate_series), and the test recomputes them here to check what was loaded.

export const STATUS_SLOTS = [
  // of 20 slots: 40% pending, 20% in progress, 10% review, 25% completed, 5% blocked
  ['pending', 8],
  ['in_progress', 4],
  ['review', 2],
  ['completed', 5],
  ['blocked', 1],
] as const;
export type SeedStatus = (typeof STATUS_SLOTS)[number][0];

/** Words titles are made of; `SEARCH_WORD` is in one title in NOUNS.length, for `q`. */
export const VERBS = [
  'Fix',
  'Add',
  'Refactor',
  'Document',
  'Test',
  'Review',
  'Migrate',
  'Speed up',
];
export const NOUNS = [
  'login',
  'billing',
  'search',
  'export',
  'onboarding',
  'dashboard',
  'webhooks',
  'cache',
  'reports',
  'settings',
];
export const SEARCH_WORD = 'login';
export const TAGS = ['backend', 'frontend', 'bug', 'infra'];

export interface SeedPlan {
  tasks: number;
  /** Projects, the first being the big one (`<prefix>-main`). */
  projects: number;
  /** Workers (every fourth an agent), all members of the main project. */
  workers: number;
  /** Percent of the tasks in the main project; the rest spread round-robin over the others. */
  mainPercent: number;
  /** Members of each small project (its owner included). */
  smallMembers: number;
}

export function planFor(tasks: number, overrides: Partial<Omit<SeedPlan, 'tasks'>> = {}): SeedPlan {
  const projects = overrides.projects ?? Math.max(2, Math.min(2000, Math.round(tasks / 500)));
  const workers = overrides.workers ?? Math.max(16, Math.min(1000, Math.round(tasks / 1000)));
  const mainPercent = projects === 1 ? 100 : (overrides.mainPercent ?? 50);
  if (!Number.isInteger(tasks) || tasks < 1) throw new Error('--seed needs a positive integer');
  if (projects < 1 || workers < 4) throw new Error('needs at least 1 project and 4 workers');
  if (mainPercent < 1 || mainPercent > 100) throw new Error('main share must be 1..100 percent');
  return { tasks, projects, workers, mainPercent, smallMembers: 4 };
}

/** Knuth's multiplicative hash of k, mod 2^32: spreads attributes without correlation to k. */
export function hashOf(k: number): number {
  return Math.imul(k, 0x9e3779b1) >>> 0;
}
/** The same in SQL, for a bigint expression `k`. */
export const sqlHash = (k: string) => `((${k})::bigint * 2654435761 % 4294967296)`;

export function statusOf(k: number): SeedStatus {
  let slot = hashOf(k) % 20;
  for (const [status, slots] of STATUS_SLOTS) {
    if (slot < slots) return status;
    slot -= slots;
  }
  throw new Error('unreachable');
}

/** SQL `case` giving the status of task k (`h` is its hash). */
export function sqlStatus(h: string): string {
  let from = 0;
  const arms = STATUS_SLOTS.map(([status, slots]) => {
    from += slots;
    return `when ${h} % 20 < ${from} then '${status}'`;
  });
  return `case ${arms.join(' ')} end`;
}

/** 1-based project number of task k (1 is the main project). */
export function projectOf(plan: SeedPlan, k: number): number {
  const m = plan.mainPercent;
  if (k % 100 < m) return 1;
  return 2 + (smallOrdinal(plan, k) % (plan.projects - 1));
}

function smallOrdinal(plan: SeedPlan, k: number): number {
  const m = plan.mainPercent;
  return Math.floor(k / 100) * (100 - m) + ((k % 100) - m);
}

/** Expected number of tasks per status and in the main project, by the formulas above. */
export function expectedCounts(plan: SeedPlan): {
  byStatus: Record<SeedStatus, number>;
  main: number;
  perProject: Map<number, number>;
} {
  const byStatus: Record<SeedStatus, number> = {
    pending: 0,
    in_progress: 0,
    review: 0,
    completed: 0,
    blocked: 0,
  };
  const perProject = new Map<number, number>();
  for (let k = 0; k < plan.tasks; k++) {
    byStatus[statusOf(k)]++;
    const p = projectOf(plan, k);
    perProject.set(p, (perProject.get(p) ?? 0) + 1);
  }
  return { byStatus, main: perProject.get(1) ?? 0, perProject };
}
