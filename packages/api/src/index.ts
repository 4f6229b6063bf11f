// What hosts (apps/api), clients (types only) and tests import. Nothing here knows HTTP servers.

export type { Principal } from './auth/principal';
export {
  ALLOWED_ALGORITHMS,
  createTokenVerifier,
  TokenError,
  type TokenVerifier,
  VERIFIER_DEFAULTS,
  type VerifierOptions,
} from './auth/verify-token';
export {
  announceWorkerChange,
  WORKER_CACHE_DEFAULTS,
  WORKERS_CHANNEL,
  WorkerCache,
  type WorkerCacheOptions,
} from './auth/worker-cache';
export {
  bearerToken,
  type Context,
  clientName,
  createHttpContextFactory,
  createInnerContext,
  type HttpContextDeps,
  type HttpRequestLike,
  type InnerContextOptions,
} from './context';
export {
  describeIssues,
  type ErrorMetrics,
  errorHeaders,
  type FieldIssue,
  formatTrpcError,
  issuesOf,
  RefusalDetails,
  type RestErrorReply,
  reportError,
  restErrorBody,
  restErrorReply,
  StaleVersion,
  translateError,
  trpcRefusalBody,
} from './errors';
export {
  CHANGE_HUB_DEFAULTS,
  CHANGES_CHANNEL,
  ChangeHub,
  type ChangeHubOptions,
  type StreamGuard,
  StreamLimitExceeded,
} from './events/change-hub';
export { ChannelFollower, type ChannelFollowerOptions } from './events/channel-follower';
export {
  IDEMPOTENCY_TTL_HOURS,
  type IdempotencyRequest,
  sweepExpiredKeys,
} from './idempotency';
export type { RouterMetrics } from './metrics';
export {
  createRateLimiter,
  DEFAULT_RATE_LIMIT_PER_MINUTE,
  type PrincipalRateLimiter,
  type RateLimitOptions,
  RequestRateLimit,
} from './rate-limit';
export {
  type AppRouter,
  appRouter,
  type ProcedurePath,
  type RouterInputs,
  type RouterOutputs,
} from './router';
export { type SweptTask, SYSTEM_ACTOR_ID, sweepExpiredLeases } from './services/sweep';
export { MemberScopes } from './services/task-scope';
export { sync, unwrapSync } from './sync-parse';
export { createCallerFactory, inTransaction, SSE_PING_MS } from './trpc';
export { type DispatchReport, dispatchDueWebhooks, pruneWebhookLog } from './webhooks/dispatch';
export {
  isBlockedAddress,
  resolveWebhookTarget,
  WebhookTargetRefused,
} from './webhooks/network-guard';
export { type PostOptions, type PostOutcome, postWebhook } from './webhooks/post';
export { retryDelayMs, WEBHOOK_DEFAULTS, type WebhookSettings } from './webhooks/settings';
export { messageIdOf, newWebhookSecret, signatureHeader } from './webhooks/signing';
