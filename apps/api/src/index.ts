export { type App, type AppOptions, createApp } from './app';
export { type Config, loadConfig } from './config';
export { type Context, createInnerContext } from './context';
export { createLogger, type Logger } from './logger';
export { buildOpenApiDocument } from './rest/openapi';
export { REST_ROUTES, type RestRoute } from './rest/routes';
export type { AppRouter } from './router';
export { appRouter } from './router';
export { createCallerFactory } from './trpc';
