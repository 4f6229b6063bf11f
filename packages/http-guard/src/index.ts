export { HttpError, readBody } from './body';
export { answerClientErrors } from './client-error';
export { type HttpErrorBody, httpErrorBody, sendHttpError } from './error-body';
export { describeError, type GuardedListener, guardRequests, type LogFn } from './guard-requests';
export { installProcessGuard } from './process-guard';
export { isValidHost, parseRequestTarget } from './request-target';
export { sendJson, UNAVAILABLE_HEADERS } from './respond';
