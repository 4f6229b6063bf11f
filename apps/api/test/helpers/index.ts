export {
  type ApiFailure,
  type Client,
  failure,
  type Harness,
  type HarnessOptions,
  startHarness,
} from './harness';
export { type Alg, type SignOptions, TestIssuer } from './jwks';
export { freePort } from './net';
export { type ServiceProcess, startService, waitForHealth } from './process';
export { type RestOptions, type RestResponse, restClient } from './rest';
export { type Answer, type ReceivedWebhook, WebhookReceiver } from './webhook-receiver';
