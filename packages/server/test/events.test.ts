import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import { createWharf, loadConfig, type Wharf } from '../src/index.js';
import { EventBus } from '../src/events/event-bus.js';
import { eventsRoutes } from '../src/events/routes.js';
import { openChangeFeed } from '../src/storage/change-feed.js';
import { ADMIN_TOKEN, createTestWharf, describeEachBackend, type TestWharf } from './helpers.js';
import { SseClient } from './sse-client.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describeEachBackend('events over SSE', (backend) => {
  let w: TestWharf;
  let base: string;
  const clients: SseClient[] = [];
  const open = async (path: string, headers: Record<string, string> = {}) => {
    const c = await SseClient.open(`${base}${path}`, headers);
    clients.push(c);
    await c.waitFor((x) => x.messages.some((m) => m.comment === 'connected'));
    return c;
  };
  beforeAll(async () => {
    w = await createTestWharf(backend);
    base = await w.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await w.destroy();
  });

  it('streams published events with id, type and JSON data', async () => {
    const c = await open('/events');
    expect(c.status).toBe(200);
    expect(c.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(c.headers['cache-control']).toContain('no-cache');
    const published = await w.events.publish('flags.changed', { version: 7 });
    await c.waitFor((x) => x.events('flags.changed').length === 1);
    expect(c.events('flags.changed')[0]).toEqual({ id: published.id, event: 'flags.changed', data: '{"version":7}' });
  });

  it('answers a host app on another origin with the CORS headers every other route sends', async () => {
    const c = await open('/events', { origin: 'http://host-app.localhost:5173' });
    expect(c.headers['access-control-allow-origin']).toBe('*');
    expect(c.headers['access-control-expose-headers']).toContain('etag');
  });

  it('filters by type, with a trailing .* for a family', async () => {
    const c = await open('/events?types=rollout.*,snapshot.published');
    await w.events.publish('flags.changed', { version: 8 });
    await w.events.publish('rollout.changed', { plugin: 'p' });
    await w.events.publish('snapshot.published', { version: 1 });
    await w.events.publish('catalog.changed', null);
    await c.waitFor((x) => x.events().length === 2);
    // The catalog event was published last: once it would have arrived, none of the unwanted ones did.
    await new Promise((r) => setTimeout(r, 100));
    expect(c.events().map((m) => m.event)).toEqual(['rollout.changed', 'snapshot.published']);
  });

  it('resumes after Last-Event-ID (header or query), and says reset when the id is unknown', async () => {
    const a = await w.events.publish('catalog.changed', { n: 1 });
    await w.events.publish('catalog.changed', { n: 2 });
    const last = await w.events.publish('catalog.changed', { n: 3 });
    // Delivery to this process's bus is asynchronous on PostgreSQL (NOTIFY loopback).
    const probe = await open(`/events?types=catalog.changed&lastEventId=${encodeURIComponent(a.id)}`);
    await probe.waitFor((x) => x.events().some((m) => m.id === last.id));
    const resumed = await open('/events?types=catalog.changed', { 'last-event-id': a.id });
    // The server publishes catalog.changed of its own (its first signed catalog) whenever it gets to it: only this test's count.
    const mine = (x: SseClient) => x.events().filter((m) => m.data?.startsWith('{"n":'));
    await resumed.waitFor((x) => mine(x).length === 2);
    expect(mine(resumed).map((m) => m.data)).toEqual(['{"n":2}', '{"n":3}']);
    const lost = await open('/events', { 'last-event-id': 'no-such-id' });
    await lost.waitFor((x) => x.events('reset').length === 1);
    expect(JSON.parse(lost.events('reset')[0]!.data!)).toEqual({ lastEventId: 'no-such-id' });
  });

  it('answers a bad query with a 400 JSON error', async () => {
    const res = await w.app.inject({ url: `/events?types=${'x'.repeat(1001)}` });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatch(/invalid events query at types/);
  });

  it('replaces data too large for one notification by { truncated: true }', async () => {
    const c = await open('/events?types=catalog.big');
    await w.events.publish('catalog.big', { blob: 'x'.repeat(10_000) });
    await c.waitFor((x) => x.events().length === 1);
    expect(c.events()[0]!.data).toBe('{"truncated":true}');
    await expect(w.events.publish('Not A Type', {})).rejects.toThrow(/invalid event type/);
  });

  if (backend === 'postgres') {
    it('delivers an event published on one replica to SSE clients of another, with the same id', async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'wharf-replica-'));
      const replica: Wharf = await createWharf(loadConfig({ dataDir, databaseUrl: w.config.databaseUrl, logLevel: 'warn', adminToken: ADMIN_TOKEN }, {}, null));
      try {
        const replicaBase = await replica.app.listen({ port: 0, host: '127.0.0.1' });
        const c = await SseClient.open(`${replicaBase}/events?types=flags.changed`);
        clients.push(c);
        await c.waitFor((x) => x.messages.some((m) => m.comment === 'connected'));
        const published = await w.events.publish('flags.changed', { version: 42 });
        await c.waitFor((x) => x.events().length === 1);
        expect(c.events()[0]).toEqual({ id: published.id, event: 'flags.changed', data: '{"version":42}' });
        // The replica kept it in its own history: a client can resume there with an id minted here.
        expect(replica.events.since(published.id)).toEqual([]);
      } finally {
        await replica.close();
        await rm(dataDir, { recursive: true, force: true });
      }
    });
  }
});

describe('SSE stream mechanics', () => {
  it('sends heartbeat comments, bounds its history and ends open streams when the server closes', async () => {
    const feed = await openChangeFeed(':memory:');
    const bus = await new EventBus(feed, 3).init();
    const app = Fastify();
    await app.register(eventsRoutes, { events: bus, heartbeatMs: 30 });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const c = await SseClient.open(`${base}/events`);
    await c.waitFor((x) => x.messages.filter((m) => m.comment === 'heartbeat').length >= 2);
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await bus.publish('catalog.changed', { i })).id);
    expect(bus.since(ids[0]!)).toBeNull();
    expect(bus.since(ids[2]!)!.map((e) => e.data)).toEqual([{ i: 3 }, { i: 4 }]);
    await c.waitFor((x) => x.events().length === 5);
    await app.close();
    c.close();
    await feed.close();
  });
});
