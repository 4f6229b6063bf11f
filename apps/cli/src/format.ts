import type {
  AgentKey,
  AgentSummary,
  AuditEntry,
  Project,
  ProjectDetail,
  Task,
  Worker,
} from '@taskflow/contracts';

function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

/** A plain-text table: left-aligned columns, two spaces apart. */
export function table(headers: string[], rows: string[][]): string {
  if (rows.length === 0) return '(none)';
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

export function tasksTable(tasks: Task[]): string {
  return table(
    ['ID', 'STATUS', 'PRIORITY', 'PROGRESS', 'ASSIGNEE', 'PROJECT', 'TITLE'],
    tasks.map((t) => [
      String(t.id),
      t.status,
      t.priority,
      `${t.progress_percent}%`,
      t.assigned_to ?? '-',
      t.project_slug,
      truncate(t.title, 60),
    ]),
  );
}

export function taskDetail(t: Task): string {
  const rows: [string, string][] = [
    ['id', String(t.id)],
    ['title', t.title],
    ['status', t.status + (t.blocked_reason ? ` (blocked: ${t.blocked_reason})` : '')],
    ['priority', t.priority],
    ['progress', `${t.progress_percent}%`],
    ['project', t.project_slug],
    ['assigned to', t.assigned_to ?? '-'],
    ['parent', t.parent_id ? String(t.parent_id) : '-'],
    ['tags', t.tags.join(', ') || '-'],
    [
      'waits for',
      t.blocked_by
        .map((dep) => (t.waiting_for.includes(dep) ? `${dep} (unfinished)` : String(dep)))
        .join(', ') || '-',
    ],
    ['blocks', t.blocks.join(', ') || '-'],
    ['due', t.due_date ?? '-'],
    ['created by', t.created_by],
    ['created', t.created_at],
    ['updated', t.updated_at],
    ['version', String(t.version)],
    ...(t.lease_expires_at
      ? ([
          ['lease until', t.lease_expires_at],
          ['claim epoch', String(t.claim_epoch)],
        ] as [string, string][])
      : []),
  ];
  const body = rows.map(([k, v]) => `${k.padEnd(12)} ${v}`).join('\n');
  return t.description ? `${body}\n\n${t.description}` : body;
}

/** `taskflow deps ID`: the task, what it waits for and what waits for it. */
export function dependenciesText(task: Task, waitsFor: Task[], blocks: Task[]): string {
  const rows = (tasks: Task[]) =>
    table(
      ['ID', 'STATUS', 'TITLE'],
      tasks.map((t) => [String(t.id), t.status, truncate(t.title, 60)]),
    );
  const unfinished = waitsFor.filter((t) => t.status !== 'completed').length;
  const state =
    task.status !== 'pending'
      ? task.status
      : unfinished
        ? `pending, waiting for ${unfinished} unfinished`
        : 'pending, ready to start';
  return `Task ${task.id}: ${task.title} [${state}]\n\nWaits for:\n${rows(waitsFor)}\n\nBlocks:\n${rows(blocks)}`;
}

export function auditTable(entries: AuditEntry[]): string {
  return table(
    ['WHEN', 'WHO', 'TYPE', 'ACTION', 'VIA', 'DETAILS'],
    entries.map((e) => {
      const c = e.context as Record<string, unknown>;
      const details = [
        typeof c.percent === 'number' ? `${c.percent}%` : '',
        typeof c.note === 'string' ? `note: ${c.note}` : '',
        typeof c.reason === 'string' ? `reason: ${c.reason}` : '',
      ]
        .filter(Boolean)
        .join(' ');
      return [
        e.created_at.replace('T', ' ').slice(0, 19),
        e.actor_id,
        e.actor_type,
        e.action,
        e.client ?? '-',
        details,
      ];
    }),
  );
}

export function workersTable(workers: Worker[]): string {
  return table(
    ['ID', 'TYPE', 'NAME'],
    workers.map((w) => [w.id, w.type, w.name]),
  );
}

export function projectsTable(projects: Project[]): string {
  return table(
    ['SLUG', 'ROLE', 'NAME'],
    projects.map((p) => [p.slug, p.role ?? '-', p.name]),
  );
}

export function projectDetail(p: ProjectDetail): string {
  return `${p.name} (${p.slug})${p.description ? `\n${p.description}` : ''}\nowner: ${p.owner_id}\n\n${table(
    ['MEMBER', 'TYPE', 'ROLE', 'NAME'],
    p.members.map((m) => [m.worker_id, m.type, m.role, m.name]),
  )}`;
}

const usable = (k: AgentKey) => k.enabled && !k.expired;

export function agentsTable(agents: AgentSummary[]): string {
  return table(
    ['ID', 'NAME', 'KEYS', 'CREATED'],
    agents.map((a) => [
      a.id,
      truncate(a.name, 40),
      `${a.keys.filter(usable).length} active${a.keys.some((k) => !usable(k)) ? `, ${a.keys.filter((k) => !usable(k)).length} expired/disabled` : ''}`,
      a.created_at ?? '-',
    ]),
  );
}

export function agentKeysTable(keys: AgentKey[]): string {
  return table(
    ['KEY_ID', 'STARTS', 'STATUS', 'EXPIRES', 'LAST_USED', 'CREATED'],
    keys.map((k) => [
      k.id,
      k.start ? `${k.start}…` : '-',
      !k.enabled ? 'disabled' : k.expired ? 'expired' : 'active',
      k.expires_at ?? 'never',
      k.last_used_at ?? '-',
      k.created_at,
    ]),
  );
}
