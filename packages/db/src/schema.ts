import type {
  ActorType,
  AuditAction,
  AuditActorType,
  MemberRole,
  TaskPriority,
  TaskStatus,
} from '@taskflow/contracts';
import type {
  ColumnType,
  Generated,
  GeneratedAlways,
  Insertable,
  Selectable,
  Updateable,
  UpdateObject,
} from 'kysely';

/** timestamptz: read as Date, written as Date or ISO string. */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;

export interface WorkersTable {
  id: string;
  type: ActorType;
  name: string;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface ProjectsTable {
  id: Generated<number>;
  slug: string;
  name: string;
  description: Generated<string>;
  owner_id: string;
  /** The project a worker's tasks land in when they name none. */
  is_default: Generated<boolean>;
  /** The lease a claim in this project holds, in seconds; null: the server's default. */
  default_lease_seconds: number | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface ProjectMembersTable {
  project_id: number;
  worker_id: string;
  role: MemberRole;
  created_at: CreatedAt;
}

export interface TasksTable {
  id: Generated<number>;
  project_id: number;
  title: string;
  description: Generated<string>;
  status: Generated<TaskStatus>;
  priority: Generated<TaskPriority>;
  /** 0 (low) .. 3 (critical), kept by the database for sorting. */
  priority_rank: GeneratedAlways<number>;
  progress_percent: Generated<number>;
  tags: Generated<string[]>;
  due_date: Timestamp | null;
  assigned_to: string | null;
  parent_id: number | null;
  created_by: string;
  started_at: Timestamp | null;
  completed_at: Timestamp | null;
  /** The status a blocked task returns to when unblocked. */
  blocked_from: TaskStatus | null;
  blocked_reason: string | null;
  version: Generated<number>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  /** When the holder's claim lapses unless extended (in progress only). */
  lease_expires_at: Timestamp | null;
  /** The claim's lease length, which heartbeats extend by. */
  lease_seconds: number | null;
  /** How many times the task was claimed: moves may present it to prove they hold the claim. */
  claim_epoch: Generated<number>;
  /** Edges to the tasks this one waits for, and from those waiting for it (kept by a trigger). */
  depends_on_count: Generated<number>;
  dependents_count: Generated<number>;
}

/** task_id waits for depends_on_id, a task of the same project. */
export interface TaskDependenciesTable {
  task_id: number;
  depends_on_id: number;
  project_id: number;
  created_at: CreatedAt;
  created_by: string;
}

export type AuditContext = Record<string, unknown>;

export interface AuditLogTable {
  id: Generated<number>;
  task_id: number | null;
  project_slug: string | null;
  actor_id: string;
  actor_type: AuditActorType;
  action: AuditAction;
  context: ColumnType<AuditContext, string, never>;
  /** The client the change came through (web, cli, mcp, script, rest, trpc, ...). */
  client: string | null;
  created_at: CreatedAt;
}

/** The first outcome of a keyed mutation (migration 0006); status null while it runs. */
export interface IdempotencyKeysTable {
  principal: string;
  key: string;
  /** sha256 of the procedure and its canonical input. */
  fingerprint: string;
  status: number | null;
  body: ColumnType<unknown, string | null, string | null>;
  created_at: CreatedAt;
  expires_at: Timestamp;
}

export interface DB {
  workers: WorkersTable;
  projects: ProjectsTable;
  project_members: ProjectMembersTable;
  tasks: TasksTable;
  audit_log: AuditLogTable;
  task_dependencies: TaskDependenciesTable;
  idempotency_keys: IdempotencyKeysTable;
}

export type WorkerRow = Selectable<WorkersTable>;
export type ProjectRow = Selectable<ProjectsTable>;
export type ProjectMemberRow = Selectable<ProjectMembersTable>;
export type TaskRow = Selectable<TasksTable>;
export type NewTask = Insertable<TasksTable>;
export type TaskPatch = Updateable<TasksTable>;
/** A task update whose values may be SQL expressions (now() + the lease, claim_epoch + 1). */
export type TaskUpdate = UpdateObject<DB, 'tasks'>;
export type AuditRow = Selectable<AuditLogTable>;
