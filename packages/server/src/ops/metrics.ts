import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per server instance, so that several servers in one process (tests) never share counters. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'wharf_' });
  return {
    registry,
    requests: new Counter({ name: 'wharf_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['method', 'route', 'status'] as const, registers: [registry] }),
    latency: new Histogram({
      name: 'wharf_http_request_duration_seconds',
      help: 'HTTP request latency by route',
      labelNames: ['method', 'route'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers: [registry],
    }),
    publishes: new Counter({ name: 'wharf_publishes_total', help: 'Package versions published', registers: [registry] }),
    downloads: new Counter({ name: 'wharf_tarball_downloads_total', help: 'Tarballs served', registers: [registry] }),
    corruptBlobs: new Counter({ name: 'wharf_blob_corrupt_total', help: 'Blob reads whose bytes no longer hash to their key', registers: [registry] }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
