import { z } from 'zod';
import { resolveToken } from './auth-token.js';

/** Where the control-plane commands reach the server: flags, then WHARF_REGISTRY / WHARF_TOKEN, then the token `npm login` stored. */
export interface ServerOptions {
  registry?: string;
  token?: string;
}

export const DEFAULT_SERVER_URL = 'http://127.0.0.1:4873';

/** A failed control-plane call, with the server's `{ error }` message. */
export class ControlPlaneError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** JSON over HTTP against a Wharf server, each answer validated by its core schema. */
export class ControlPlane {
  readonly baseUrl: string;
  private readonly token: string | undefined;

  constructor(options: ServerOptions, env: NodeJS.ProcessEnv = process.env) {
    this.baseUrl = (options.registry ?? env.WHARF_REGISTRY ?? DEFAULT_SERVER_URL).replace(/\/+$/, '');
    this.token = resolveToken(this.baseUrl, options.token, env);
  }

  async call<S extends z.core.$ZodType>(schema: S, method: string, path: string, body?: unknown): Promise<z.infer<S>> {
    return z.parse(schema, await this.send(method, path, body));
  }

  /** The request alone: the parsed JSON answer (undefined when bodiless, as a 204), or a ControlPlaneError. */
  async send(method: string, path: string, body?: unknown): Promise<unknown> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${this.baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      // A proxy's error page, say: name what answered rather than a JSON parser's complaint.
      throw new ControlPlaneError(res.status, `${method} ${path}: ${res.status} (not JSON: ${text.slice(0, 200)})`);
    }
    if (!res.ok) {
      const message = (json as { error?: string } | undefined)?.error ?? res.statusText;
      throw new ControlPlaneError(res.status, `${method} ${path}: ${res.status} ${message}`);
    }
    return json;
  }
}

export function addServerOptions<T extends { option(flags: string, description: string): T }>(cmd: T): T {
  return cmd.option('--registry <url>', `Wharf server (WHARF_REGISTRY, default ${DEFAULT_SERVER_URL})`).option('--token <token>', "bearer token (WHARF_TOKEN; default: the registry's _authToken in .npmrc, as `npm login` stores it)");
}
