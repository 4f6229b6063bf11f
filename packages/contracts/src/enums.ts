import { z } from 'zod';

export const TASK_STATUSES = ['pending', 'in_progress', 'review', 'completed', 'blocked'] as const;
export const TaskStatus = z.enum(TASK_STATUSES);
export type TaskStatus = z.infer<typeof TaskStatus>;

/** Ordered from least to most urgent: the order is the sort order. */
export const TASK_PRIORITIES = ['low', 'medium', 'high', 'critical'] as const;
export const TaskPriority = z.enum(TASK_PRIORITIES);
export type TaskPriority = z.infer<typeof TaskPriority>;

export const ActorType = z.enum(['human', 'agent']);
export type ActorType = z.infer<typeof ActorType>;

export const MemberRole = z.enum(['owner', 'member']);
export type MemberRole = z.infer<typeof MemberRole>;

/** The caller's role, from the token's `role` claim. */
export const UserRole = z.enum(['user', 'admin']);
export type UserRole = z.infer<typeof UserRole>;

export const SortOrder = z.enum(['asc', 'desc']);
export type SortOrder = z.infer<typeof SortOrder>;

export const TaskSortField = z.enum(['created_at', 'updated_at', 'due_date', 'priority', 'title']);
export type TaskSortField = z.infer<typeof TaskSortField>;
