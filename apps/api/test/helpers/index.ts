export { type ApiFailure, type Client, failure, type Harness, startHarness } from './harness';
export { type Alg, type SignOptions, TestIssuer } from './jwks';
export { freePort } from './net';
export { type RestOptions, type RestResponse, restClient } from './rest';
