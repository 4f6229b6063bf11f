export { type Auth, createAuth, tokenPayload } from './auth';
export { type AuthConfig, AuthConfigError, DEFAULT_AUDIENCE, loadAuthConfig } from './config';
export { type AuthService, createAuthService } from './server';
