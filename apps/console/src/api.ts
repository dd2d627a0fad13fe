/** Any schema of core's, zod or zod/mini: what the answer must be. */
export interface Schema<T> {
  parse(value: unknown): T;
}

/** A refusal from the server, with its JSON `{ error }` message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const TOKEN_KEY = 'wharf-console-token';

/** The session's bearer token: in sessionStorage (gone with the tab), never in a cookie the API would trust. */
export const session = {
  token: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (token: string) => sessionStorage.setItem(TOKEN_KEY, token),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** Calls the API as the signed-in user and checks the answer with the server's own schema. */
export async function api<T>(schema: Schema<T> | null, method: string, path: string, body?: unknown, token = session.token()): Promise<T> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const json: unknown = text === '' ? undefined : JSON.parse(text);
  if (!res.ok) throw new ApiError(res.status, (json as { error?: string } | undefined)?.error ?? `HTTP ${res.status}`);
  return (schema ? schema.parse(json) : json) as T;
}

export const describeError = (err: unknown): string => (err instanceof ApiError ? `${err.status}: ${err.message}` : err instanceof Error ? err.message : String(err));
