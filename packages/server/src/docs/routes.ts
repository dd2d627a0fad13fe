import type { FastifyInstance } from 'fastify';
import type { ApiCatalog } from './api-catalog.js';

export interface DocsRoutesOptions {
  catalog: ApiCatalog;
  version: string;
}

/** `/docs/openapi.json` (built once, on first request, when every route is registered) and a page that lists it. */
export async function docsRoutes(app: FastifyInstance, opts: DocsRoutesOptions): Promise<void> {
  let document: Record<string, unknown> | null = null;
  const openapi = () =>
    (document ??= opts.catalog.openapi({
      title: 'Wharf API',
      version: opts.version,
      description:
        'Wharf\'s own HTTP API: marketplace, search, analytics and account data; the control plane (flags, config snapshots, the version gate, rollouts, marketplace sources, supply-chain policies, roles, audit); and what clients call (OFREP evaluation, the version gate, rollout resolution, client config). The npm registry protocol is documented by npm itself, signed metadata by TUF.',
    }));

  app.get('/docs/openapi.json', async (_request, reply) => reply.header('cache-control', 'no-cache').send(openapi()));

  app.get('/docs', async (_request, reply) => reply.header('content-type', 'text/html; charset=utf-8').send(page(openapi())));
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A plain index of the operations: readable without JavaScript or a third-party viewer. */
function page(doc: Record<string, unknown>): string {
  const info = doc.info as { title: string; version: string; description?: string };
  const rows: string[] = [];
  for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, { summary: string; tags: string[]; security?: unknown }>>)) {
    for (const [method, op] of Object.entries(ops)) {
      rows.push(`<tr><td>${escapeHtml(op.tags[0] ?? '')}</td><td><code>${method.toUpperCase()}</code></td><td><code>${escapeHtml(path)}</code></td><td>${escapeHtml(op.summary)}</td><td>${op.security ? 'token' : ''}</td></tr>`);
    }
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(info.title)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}code{font-size:.9em}</style>
</head><body>
<h1>${escapeHtml(info.title)} <small>${escapeHtml(info.version)}</small></h1>
<p>${escapeHtml(info.description ?? '')}</p>
<p>Machine-readable: <a href="/docs/openapi.json">OpenAPI 3.1 document</a>.</p>
<table><thead><tr><th>Area</th><th>Method</th><th>Path</th><th>What it does</th><th>Auth</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table>
</body></html>`;
}
