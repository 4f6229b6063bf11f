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
  /** From the token's `email` claim; null until a token carried one. */
  email: Generated<string | null>;
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

/** A URL a project's changes are POSTed to, signed (migration 0009). */
export interface WebhookSubscriptionsTable {
  id: Generated<number>;
  project_slug: string;
  url: string;
  /** Event types it wants ('task.started', ...); null: all. */
  events: string[] | null;
  /** whsec_<base64>: the key messages are signed with. */
  secret: string;
  /** During a rotation, the secret before; it also signs until previous_secret_expires_at. */
  previous_secret: string | null;
  previous_secret_expires_at: Timestamp | null;
  enabled: Generated<boolean>;
  disabled_at: Timestamp | null;
  disabled_reason: string | null;
  consecutive_failures: Generated<number>;
  /** When the current run of failures began; null while deliveries succeed. */
  failing_since: Timestamp | null;
  created_by: string;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export type WebhookOutboxStatus = 'pending' | 'failed' | 'delivered' | 'dead';

/** One message: an audit event for one subscription, until delivered or given up on. */
export interface WebhookOutboxTable {
  id: GeneratedAlways<number>;
  audit_id: number;
  subscription_id: number;
  status: Generated<WebhookOutboxStatus>;
  attempts: Generated<number>;
  /** When it is due; a claim moves it to the end of the claim's lease. */
  next_attempt_at: Generated<Date>;
  /** The claim that holds it (its lease ends at next_attempt_at). */
  lease_token: string | null;
  last_error: string | null;
  created_at: CreatedAt;
  delivered_at: Timestamp | null;
}

/** Every delivery attempt, as the delivery log shows it. */
export interface WebhookDeliveriesTable {
  id: GeneratedAlways<number>;
  outbox_id: number;
  subscription_id: number;
  audit_id: number;
  message_id: string;
  attempt: number;
  status_code: number | null;
  duration_ms: number;
  error: string | null;
  created_at: CreatedAt;
}

export interface DB {
  workers: WorkersTable;
  projects: ProjectsTable;
  project_members: ProjectMembersTable;
  tasks: TasksTable;
  audit_log: AuditLogTable;
  task_dependencies: TaskDependenciesTable;
  idempotency_keys: IdempotencyKeysTable;
  webhook_subscriptions: WebhookSubscriptionsTable;
  webhook_outbox: WebhookOutboxTable;
  webhook_deliveries: WebhookDeliveriesTable;
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
export type WebhookSubscriptionRow = Selectable<WebhookSubscriptionsTable>;
export type WebhookOutboxRow = Selectable<WebhookOutboxTable>;
export type WebhookDeliveryRow = Selectable<WebhookDeliveriesTable>;
