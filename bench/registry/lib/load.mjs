import autocannon from 'autocannon';

/**
 * One autocannon run against `url` over `requests` ({path, headers}). With several requests, every
 * connection gets its own share: a strided slice of the list when it is longer than the connection
 * count (each connection then encodes only its few requests, and together they cover every key), else
 * the whole list rotated to its own starting point. Either way many keys are in flight at any moment
 * instead of 50 connections marching over the same package together.
 */
export async function load(url, requests, { connections, duration }) {
  const encode = (list) => list.map((r) => ({ method: 'GET', path: r.path, headers: r.headers ?? {} }));
  let nextClient = 0;
  const result = await autocannon({
    url,
    connections,
    duration,
    requests: encode(requests.slice(0, 1)),
    setupClient(client) {
      if (requests.length < 2) return;
      const i = nextClient++ % connections;
      const share =
        requests.length >= connections
          ? requests.filter((_, j) => j % connections === i)
          : [...requests.slice(i % requests.length), ...requests.slice(0, i % requests.length)];
      client.setRequests(encode(share));
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
  // autocannon's errors include its timeouts.
  const failed = measure.errors;
  // No answer at all within the case is a failure too, not a quiet 0 req/s.
  return { total: total + failed, bad: total === 0 ? Math.max(failed, 1) : total - good + failed };
}
