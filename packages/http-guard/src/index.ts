export { decodeUtf8, HttpError } from './body';
export { answerClientErrors } from './client-error';
export { httpErrorBody } from './error-body';
export { guardRequests } from './guard-requests';
export { installProcessGuard } from './process-guard';
export { isValidHost, parseRequestTarget } from './request-target';
export { UNAVAILABLE_HEADERS } from './respond';
