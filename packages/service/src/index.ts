export { metricsReader, serveClusterMetrics } from './cluster-metrics';
export {
  ConfigError,
  optionalString,
  parseEnv,
  type ServiceEnv,
  ServiceEnvSchema,
  type ServiceSettings,
  serviceSettings,
} from './config';
export { codeForStatus, describeFailure, errorBody, replyWithError } from './error-reply';
export { createLogger, isLogLevel, LOG_LEVELS, type Logger, type LogLevel } from './logger';
export {
  createHttpMetrics,
  exposeMetrics,
  type HttpMetrics,
  type MetricsExposure,
} from './metrics';
export { REQUEST_ID_HEADER, requestIdFor } from './request-id';
export { runService, type ServiceMain, type Started } from './run';
export { createService, routeOf, type ServiceOptions } from './server';
export { parseBodiesAsText } from './text-body';
