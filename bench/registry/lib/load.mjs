import autocannon from 'autocannon';

/**
 * One autocannon run against `url` cycling through `requests` ({path, headers}). Every connection
 * starts at a different offset of the list, so a spread case really spreads load over the keys at
 * any moment instead of 50 connections marching over the same package together.
 */
export async function load(url, requests, { connections, duration }) {
  let nextOffset = 0;
  const result = await autocannon({
    url,
    connections,
    duration,
    requests: requests.map((r) => ({ method: 'GET', path: r.path, headers: r.headers ?? {} })),
    setupClient(client) {
      if (requests.length < 2) return;
      const offset = Math.floor((nextOffset++ * requests.length) / connections) % requests.length;
      const rotated = [...requests.slice(offset), ...requests.slice(0, offset)];
      client.setRequests(rotated.map((r) => ({ method: 'GET', path: r.path, headers: r.headers ?? {} })));
    },
  });
  const statuses = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, s]) => [code, s.count]));
  return {
    rps: result.requests.average,
    total: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    bytesPerSec: result.throughput.average,
    errors: result.errors,
    timeouts: result.timeouts,
    statuses,
  };
}

/** Requests that failed or got another status than the case is about (a 304 case answering 200 is not a 304). */
export function unexpected(measure, expectedStatus) {
  const total = Object.values(measure.statuses).reduce((a, b) => a + b, 0);
  const good = measure.statuses[expectedStatus] ?? 0;
  const failed = measure.errors + measure.timeouts;
  return { total: total + failed, bad: total - good + failed };
}
