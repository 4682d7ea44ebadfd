/**
 * Errors are values: every failure the API can report is a TwilioError carrying Twilio's
 * error code and HTTP status. The HTTP layer only renders them.
 */
export class TwilioError extends Error {
  constructor(
    readonly code: number,
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'TwilioError';
  }

  get moreInfo(): string {
    return `https://www.twilio.com/docs/errors/${this.code}`;
  }
}

// The one registry of error kinds this server produces.
export const invalidParameter = (message: string) => new TwilioError(20001, 400, message);
export const missingParameter = (name: string) =>
  new TwilioError(20001, 400, `Missing required parameter ${name} in the post body`);
export const authenticate = () => new TwilioError(20003, 401, 'Authenticate');
export const methodNotAllowed = (method: string, path: string) =>
  new TwilioError(20004, 405, `Method ${method} is not allowed on ${path}`);
export const notFound = (path: string) =>
  new TwilioError(20404, 404, `The requested resource ${path} was not found`);
export const preconditionFailed = (etag: string | number) =>
  new TwilioError(20412, 412, `Precondition failed: the resource's ETag is ${etag}, which does not match If-Match`);
export const gone = (message: string) => new TwilioError(20001, 410, message);
export const inUse = (message: string) => new TwilioError(20001, 400, message);
export const payloadTooLarge = () => new TwilioError(20001, 413, 'Request body is too large');
export const requestTimeout = () => new TwilioError(20001, 408, 'Request Timeout: the request did not arrive in time');
export const headersTooLarge = () => new TwilioError(20001, 431, 'Request header fields are too large');
export const forbidden = (message: string) => new TwilioError(20403, 403, message);
export const tooManyRequests = (message: string) => new TwilioError(20429, 429, message);
export const internal = () => new TwilioError(20500, 500, 'An internal server error occurred');
