import { assigneesOf, createTasks } from './api-data';
import {
  contentionHolds,
  findDoubleClaims,
  judgeContention,
  type NextClaim,
  type StartAttempt,
} from './claim-checks';
import { httpClient, percentile } from './http';
import type { ScenarioResult } from './wrk';

export interface Claimer {
  /** The worker id (the token's sub). */
  id: string;
  token: string;
}

function shuffled<T>(items: T[]): T[] {
  const copy = items.slice();
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

function figures(name: string, latencies: number[], seconds: number) {
  const sorted = latencies.slice().sort((a, b) => a - b);
  return {
    name,
    rps: latencies.length / seconds,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    requests: latencies.length,
  };
}

/**
 * Claim contention: `tasks` fresh pending tasks, and every claimer (one connection each) tries
 * to start every one of them, each in its own random order. Exactly one start per task may
 * win (200) and the rest must lose with 409; afterwards each task's assignee must be its winner.
 */
export async function runContention(
  baseUrl: string,
  owner: Claimer,
  claimers: Claimer[],
  projectSlug: string,
  tasks: number,
): Promise<ScenarioResult> {
  const admin = httpClient(baseUrl, owner.token, 16);
  const taskIds = await createTasks(admin, projectSlug, tasks, 'Contended task');
  const attempts: StartAttempt[] = [];
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    claimers.map(async (claimer) => {
      const send = httpClient(baseUrl, claimer.token, 1);
      for (const taskId of shuffled(taskIds)) {
        const answer = await send('POST', `/api/tasks/${taskId}/start`);
        attempts.push({ taskId, client: claimer.id, status: answer.status });
        latencies.push(answer.ms);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const verdict = judgeContention(taskIds, attempts, await assigneesOf(admin, taskIds));
  const unexpected = Object.values(verdict.unexpected).reduce((sum, n) => sum + n, 0);
  const result: ScenarioResult = {
    ...figures('claim_contention', latencies, seconds),
    non2xx: unexpected,
    socketErrors: verdict.unexpected[0] ?? 0,
    note: `${claimers.length} clients x ${tasks} tasks: exactly one winner ${verdict.exactlyOne}/${tasks}, double-claimed ${verdict.doubleClaimed.length}, no winner ${verdict.noWinner.length}, wrong assignee ${verdict.wrongAssignee.length}; errors = answers other than 200/409`,
  };
  if (!contentionHolds(verdict)) {
    result.failure = `claim contention broken: ${JSON.stringify({
      doubleClaimed: verdict.doubleClaimed.slice(0, 5),
      noWinner: verdict.noWinner.slice(0, 5),
      wrongAssignee: verdict.wrongAssignee.slice(0, 5),
    })}`;
  }
  return result;
}

/**
 * Claim-next: every agent takes tasks from the project's queue (`POST /api/tasks/claim-next`)
 * one after another for `seconds`, or until the queue answers 204. No task may be handed out
 * twice, and each must end up assigned to the agent that got it.
 */
export async function runClaimNext(
  baseUrl: string,
  checker: Claimer,
  agents: Claimer[],
  projectSlug: string,
  seconds: number,
): Promise<ScenarioResult> {
  const claims: NextClaim[] = [];
  const latencies: number[] = [];
  const errors: Record<number, number> = {};
  let empty = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    agents.map(async (agent) => {
      const send = httpClient(baseUrl, agent.token, 1);
      while (performance.now() < deadline) {
        const answer = await send('POST', '/api/tasks/claim-next', { project_slug: projectSlug });
        latencies.push(answer.ms);
        const id = (answer.json as { id?: number } | null)?.id;
        if (answer.status === 200 && typeof id === 'number')
          claims.push({ agent: agent.id, taskId: id });
        else if (answer.status === 204) {
          empty++;
          return;
        } else errors[answer.status] = (errors[answer.status] ?? 0) + 1;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const doubles = findDoubleClaims(claims);
  const assignees = await assigneesOf(
    httpClient(baseUrl, checker.token, 8),
    claims.map((c) => c.taskId),
  );
  const wrong = claims.filter((c) => assignees.get(c.taskId) !== c.agent);
  const bad = Object.values(errors).reduce((sum, n) => sum + n, 0);
  const result: ScenarioResult = {
    ...figures('claim_next', latencies, elapsed),
    non2xx: bad,
    socketErrors: errors[0] ?? 0,
    note: `${agents.length} agents: ${(claims.length / elapsed).toFixed(1)} claims/s, ${claims.length} claims, claimed twice ${doubles.length}, wrong assignee ${wrong.length}${empty ? `, queue empty for ${empty} agents` : ''}`,
  };
  if (doubles.length || wrong.length) {
    result.failure = `claim-next broken: ${JSON.stringify({ doubles: doubles.slice(0, 5), wrong: wrong.slice(0, 5) })}`;
  }
  return result;
}
