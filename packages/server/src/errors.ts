/**
 * The one error type services throw. The HTTP layer turns it into `{ error }` with its status;
 * anything else becomes a 500 whose details stay in the log.
 */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const badRequest = (msg: string) => new HttpError(400, msg);
export const unauthorized = (msg = 'authentication required: run `npm login` or pass a token') =>
  new HttpError(401, msg, { 'www-authenticate': 'Bearer realm="wharf"' });
export const forbidden = (msg: string) => new HttpError(403, msg);
export const notFound = (msg: string) => new HttpError(404, msg);
export const conflict = (msg: string) => new HttpError(409, msg);
export const tooLarge = (msg: string) => new HttpError(413, msg);
export const unprocessable = (msg: string) => new HttpError(422, msg);
