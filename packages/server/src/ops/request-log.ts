import type { FastifyInstance, FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Path parameters that are secrets (a token, a preview key): the request log shows them redacted. */
    secretParams?: readonly string[];
  }
}

export type RequestLogLevel = 'info' | 'debug' | 'off';

const REDACTED = '[redacted]';

/**
 * One pino line per answered request: method, URL, route, status, duration, caller and bytes, so that
 * an operator sees failing clients, not only 5xx. Never a credential: headers are not logged, query
 * values are dropped (only their names are kept), secret path parameters are redacted.
 * Hijacked replies (the event stream) end with their connection and are not logged here.
 */
export function installRequestLog(app: FastifyInstance, level: RequestLogLevel): void {
  if (level === 'off') return;
  app.addHook('onResponse', async (request, reply) => {
    const length = Number(reply.getHeader('content-length'));
    request.log[level](
      {
        method: request.method,
        url: loggedUrl(request),
        route: request.routeOptions.url ?? null,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
        user: request.principal?.name ?? null,
        bytesIn: Number(request.headers['content-length']) || 0,
        ...(Number.isFinite(length) ? { bytesOut: length } : {}),
      },
      'request',
    );
  });
}

function loggedUrl(request: FastifyRequest): string {
  const raw = request.url;
  const q = raw.indexOf('?');
  let path = q === -1 ? raw : raw.slice(0, q);
  const secrets = request.routeOptions.config.secretParams ?? [];
  const params = request.params as Record<string, string> | undefined;
  for (const name of secrets) {
    const value = params?.[name];
    if (!value) continue;
    // The raw URL may carry the value percent-encoded; replace either spelling.
    path = path.split(encodeURIComponent(value)).join(REDACTED).split(value).join(REDACTED);
  }
  if (q === -1) return path;
  const names = [...new URLSearchParams(raw.slice(q + 1)).keys()];
  return names.length ? `${path}?${names.map((n) => `${n}=`).join('&')}` : path;
}
