import type { FastifyInstance } from 'fastify';
import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import type { EventBus, WharfEvent } from './event-bus.js';
import { parseBody } from '../http.js';

export interface EventsRoutesOptions {
  events: EventBus;
  /** Comment lines keep proxies and load balancers from closing a quiet stream. */
  heartbeatMs: number;
  /** A client whose unsent output exceeds this is too slow to follow and is dropped; it reconnects and resumes. */
  maxBufferedBytes?: number;
}

const EventsQuerySchema = z.object({
  /** Comma-separated event types; `flags.*` matches every type under `flags.`. */
  types: z.string().max(1000).optional(),
  /** For clients that cannot set the Last-Event-ID header on their first connection. */
  lastEventId: z.string().max(200).optional(),
});

/** Server-Sent Events at GET /events: every bus event, with heartbeats and Last-Event-ID resume. */
export async function eventsRoutes(app: FastifyInstance, opts: EventsRoutesOptions): Promise<void> {
  const { events } = opts;
  const maxBuffered = opts.maxBufferedBytes ?? 1024 * 1024;
  const open = new Set<ServerResponse>();
  // Streams never end by themselves; closing the server must end them or close() would wait forever.
  app.addHook('preClose', async () => {
    for (const res of open) res.end();
  });

  app.get('/events', async (request, reply) => {
    const query = parseBody(EventsQuerySchema, request.query, 'events query');
    const wanted = typeMatcher(query.types);
    const header = request.headers['last-event-id'];
    const lastId = (Array.isArray(header) ? header[0] : header) ?? query.lastEventId;

    reply.hijack();
    const res = reply.raw;
    // A hijacked reply sends only what is written to it: the headers hooks set on the reply (CORS) are passed on.
    for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) res.setHeader(name, value);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // nginx buffers proxied responses unless told not to.
      'x-accel-buffering': 'no',
    });
    open.add(res);
    const send = (event: WharfEvent) => {
      if (!wanted(event.type)) return;
      res.write(`id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`);
      if (res.writableLength > maxBuffered) res.destroy();
    };
    // Replay and subscription happen in one synchronous step: no event can fall between them.
    const missed = lastId ? events.since(lastId) : [];
    const unsubscribe = events.subscribe(send);
    res.write(': connected\nretry: 3000\n\n');
    if (missed === null) {
      // The id is unknown or older than the history kept: the client must refetch what it follows.
      res.write(`event: reset\ndata: ${JSON.stringify({ lastEventId: lastId })}\n\n`);
    } else {
      for (const event of missed) send(event);
    }
    const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), opts.heartbeatMs);
    heartbeat.unref();
    res.once('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
      open.delete(res);
    });
  });
}

function typeMatcher(types: string | undefined): (type: string) => boolean {
  const patterns = (types ?? '').split(',').map((t) => t.trim()).filter(Boolean);
  if (patterns.length === 0) return () => true;
  const exact = new Set(patterns.filter((p) => !p.endsWith('.*')));
  const prefixes = patterns.filter((p) => p.endsWith('.*')).map((p) => p.slice(0, -1));
  return (type) => exact.has(type) || prefixes.some((p) => type.startsWith(p));
}
