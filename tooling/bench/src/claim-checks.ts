// Judging claims from what the clients saw: pure functions, so a test can hand them a crafted
// double claim and see it caught.

/** One `POST /api/tasks/{id}/start` as a racing client saw it. */
export interface StartAttempt {
  taskId: number;
  client: string;
  status: number;
}

export interface ContentionVerdict {
  tasks: number;
  /** Tasks exactly one client won. */
  exactlyOne: number;
  /** Tasks nobody won (every start refused or failed). */
  noWinner: number[];
  /** Tasks more than one client won, with the winners. */
  doubleClaimed: { taskId: number; winners: string[] }[];
  /** Answers that are neither a win (200) nor a lost race (409), by status (0: socket error). */
  unexpected: Record<number, number>;
  /** Winners the server does not name as the assignee afterwards. */
  wrongAssignee: { taskId: number; winner: string; assignee: string | null }[];
}

/** Of any number of concurrent starts of a task exactly one wins; the others get 409. */
export function judgeContention(
  taskIds: number[],
  attempts: StartAttempt[],
  assignees?: Map<number, string | null>,
): ContentionVerdict {
  const winners = new Map<number, string[]>(taskIds.map((id) => [id, []]));
  const unexpected: Record<number, number> = {};
  for (const attempt of attempts) {
    if (attempt.status === 200) winners.get(attempt.taskId)?.push(attempt.client);
    else if (attempt.status !== 409)
      unexpected[attempt.status] = (unexpected[attempt.status] ?? 0) + 1;
  }
  const verdict: ContentionVerdict = {
    tasks: taskIds.length,
    exactlyOne: 0,
    noWinner: [],
    doubleClaimed: [],
    unexpected,
    wrongAssignee: [],
  };
  for (const [taskId, won] of winners) {
    if (won.length === 0) verdict.noWinner.push(taskId);
    else if (won.length > 1) verdict.doubleClaimed.push({ taskId, winners: won });
    else {
      verdict.exactlyOne++;
      const winner = won[0] as string;
      const assignee = assignees?.get(taskId);
      if (assignees && assignee !== winner)
        verdict.wrongAssignee.push({ taskId, winner, assignee: assignee ?? null });
    }
  }
  return verdict;
}

export function contentionHolds(verdict: ContentionVerdict): boolean {
  return (
    verdict.exactlyOne === verdict.tasks &&
    verdict.doubleClaimed.length === 0 &&
    verdict.wrongAssignee.length === 0
  );
}

/** One task an agent got from `POST /api/tasks/claim-next`. */
export interface NextClaim {
  agent: string;
  taskId: number;
}

/** Tasks handed to more than one claim (no task may be claimed twice). */
export function findDoubleClaims(claims: NextClaim[]): { taskId: number; agents: string[] }[] {
  const byTask = new Map<number, string[]>();
  for (const claim of claims) {
    const agents = byTask.get(claim.taskId) ?? [];
    agents.push(claim.agent);
    byTask.set(claim.taskId, agents);
  }
  return [...byTask]
    .filter(([, agents]) => agents.length > 1)
    .map(([taskId, agents]) => ({ taskId, agents }));
}
