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
  bearerToken,
  type Context,
  clientName,
  createHttpContextFactory,
  createInnerContext,
  type HttpContextDeps,
  type InnerContextOptions,
} from './context';
export { describeIssues, type FieldIssue, issuesOf, translateError } from './errors';
export { createLogger, isLogLevel, type Logger, type LogLevel } from './logger';
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
export { StaleVersion } from './services/tasks';
export { createCallerFactory, inTransaction } from './trpc';
