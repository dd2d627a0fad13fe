import { randomBytes } from 'node:crypto';
import type { ChangeFeed } from '../storage/change-feed.js';

/** One change notice as every subscriber (and SSE client) sees it. */
export interface WharfEvent {
  /** Unique across replicas and restarts; what SSE clients send back as Last-Event-ID. */
  id: string;
  /** Dotted name: flags.changed, rollout.changed, snapshot.published, catalog.changed… */
  type: string;
  /** A small notice (what changed, its new version), never a whole document: clients refetch. */
  data: unknown;
  at: string;
}

export type EventListener = (event: WharfEvent) => void;

const TOPIC = 'events';
const TYPE = /^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)*$/;
/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; the envelope needs some room. */
const MAX_PAYLOAD_BYTES = 7600;
export const DEFAULT_RING_SIZE = 1024;

/** Delivered locally after the change feed reconnected: whatever a subscriber caches may be stale. */
export const FEED_RESET = 'feed.reset';

/**
 * The server's event bus. `publish` goes through the ChangeFeed, so on PostgreSQL every replica
 * (this one included, via the NOTIFY loopback) receives every event in the same order and keeps the
 * same bounded history: an SSE client can resume on any replica with Last-Event-ID. Only
 * change-steps.ts publishes and subscribes (besides GET /events): services announce through DomainEvents.
 */

export class EventBus {
  private readonly ring: WharfEvent[] = [];
  private readonly listeners = new Set<EventListener>();
  /** Distinguishes this process in event ids, so ids stay unique without coordination. */
  private readonly origin = randomBytes(4).toString('hex');
  private seq = 0;

  constructor(
    private readonly feed: ChangeFeed,
    private readonly ringSize = DEFAULT_RING_SIZE,
  ) {}

  async init(): Promise<this> {
    await this.feed.onBroadcast(TOPIC, (payload) => this.receive(payload));
    // The feed lost its connection: events may have been missed, so every subscriber (and SSE client)
    // is told to start over. Local only: other replicas did not miss anything.
    this.feed.onReset(() => this.receive(JSON.stringify(this.event(FEED_RESET, null))));
    return this;
  }

  /**
   * Announces a change to every replica's subscribers. Call it after the change is committed. Data
   * too large for one notification is replaced by `{ truncated: true }`: subscribers refetch anyway.
   */
  async publish(type: string, data: unknown = null): Promise<WharfEvent> {
    if (!TYPE.test(type)) throw new Error(`invalid event type ${JSON.stringify(type)}`);
    const event = this.event(type, data);
    let payload = JSON.stringify(event);
    if (Buffer.byteLength(payload) > MAX_PAYLOAD_BYTES) {
      event.data = { truncated: true };
      payload = JSON.stringify(event);
    }
    await this.feed.broadcast(TOPIC, payload);
    return event;
  }

  private event(type: string, data: unknown): WharfEvent {
    return { id: `${Date.now().toString(36)}-${this.origin}-${(this.seq++).toString(36)}`, type, data: data ?? null, at: new Date().toISOString() };
  }

  /** Calls `listener` for every event from now on; returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /**
   * The events after `id`, oldest first, from the bounded history; null when `id` is not (or no
   * longer) in it, so the caller knows events may have been missed.
   */
  since(id: string): WharfEvent[] | null {
    const at = this.ring.findIndex((e) => e.id === id);
    return at === -1 ? null : this.ring.slice(at + 1);
  }

  private receive(payload: string): void {
    let event: WharfEvent;
    try {
      event = JSON.parse(payload) as WharfEvent;
    } catch {
      return;
    }
    if (typeof event?.id !== 'string' || typeof event.type !== 'string') return;
    this.ring.push(event);
    if (this.ring.length > this.ringSize) this.ring.shift();
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // One failing subscriber must not keep the event from the others.
      }
    }
  }
}
