export type { AppRouter } from '@taskflow/router';
export {
  createTaskflowClient,
  describeFailure,
  type Failure,
  idempotencyHeaders,
  type TaskflowClient,
  type TaskflowClientOptions,
} from './client';
export {
  AuthenticationError,
  apiKeyToken,
  sessionToken,
  staticToken,
  TokenCache,
  type TokenSource,
  tokenExpiry,
} from './credentials';
export {
  RETRY_DEFAULTS,
  type RetryInfo,
  type RetryOptions,
  retryAfterMs,
  retryingFetch,
} from './retry';
