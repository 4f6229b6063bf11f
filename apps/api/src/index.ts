// The host: HTTP server, REST adapter and configuration around @taskflow/router.
export { type App, type AppOptions, createApp } from './app';
export { type Config, loadConfig } from './config';
export { buildOpenApiDocument } from './rest/openapi';
export { REST_ROUTES, type RestRoute } from './rest/routes';
