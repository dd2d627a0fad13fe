import { EventEmitter } from 'node:events';
import pg from 'pg';

/**
 * "Package X changed" across every server process sharing the database: in-process for SQLite,
 * PostgreSQL LISTEN/NOTIFY for replicas. Caches subscribe to drop what they hold of X.
 */
export interface ChangeFeed {
  packageChanged(name: string): Promise<void>;
  onPackageChanged(listener: (name: string) => void): void;
  /** After a lost connection to the shared database: notices may have been missed, drop every cache. */
  onReset(listener: () => void): void;
  /**
   * Any other topic over the same transport. Delivered exactly once to every process, this one
   * included; on PostgreSQL in NOTIFY order, which is the same for every replica. Payloads must stay
   * under PostgreSQL's NOTIFY limit (8000 bytes).
   */
  broadcast(topic: string, payload: string): Promise<void>;
  onBroadcast(topic: string, listener: (payload: string) => void): Promise<void>;
  close(): Promise<void>;
}

const TOPIC = /^[a-z][a-z0-9_]{0,40}$/;
const topicChannel = (topic: string) => {
  if (!TOPIC.test(topic)) throw new Error(`invalid change-feed topic ${topic}`);
  return `wharf_topic_${topic}`;
};

const CHANNEL = 'wharf_package_changed';

export async function openChangeFeed(target: string): Promise<ChangeFeed> {
  const local = new EventEmitter();
  if (!/^postgres(ql)?:\/\//.test(target)) {
    return {
      packageChanged: async (name) => void local.emit('changed', name),
      onPackageChanged: (listener) => void local.on('changed', listener),
      onReset: (listener) => void local.on('reset', listener),
      broadcast: async (topic, payload) => void local.emit(topicChannel(topic), payload),
      onBroadcast: async (topic, listener) => void local.on(topicChannel(topic), listener),
      close: async () => void local.removeAllListeners(),
    };
  }
  const listening = new Set<string>([CHANNEL]);
  let closed = false;
  let retryMs = 500;
  const onNotification = (msg: pg.Notification) => {
    if (msg.channel === CHANNEL && msg.payload) local.emit('changed', msg.payload);
    else if (msg.channel.startsWith('wharf_topic_') && msg.payload !== undefined) local.emit(msg.channel, msg.payload);
  };
  const connect = async (): Promise<pg.Client> => {
    // Named, so operators (and tests) can tell the feed's session apart in pg_stat_activity.
    const client = new pg.Client({ connectionString: target, application_name: 'wharf-change-feed' });
    client.on('notification', onNotification);
    // A dropped connection (database restart, network) must not crash the server: reconnect, and tell
    // subscribers that notices may have been missed meanwhile, so that caches start over.
    client.on('error', () => undefined);
    client.on('end', () => {
      if (!closed) setTimeout(() => void reconnect(), retryMs);
    });
    await client.connect();
    for (const channel of listening) await client.query(`LISTEN ${channel}`);
    return client;
  };
  const reconnect = async () => {
    try {
      listener = await connect();
      retryMs = 500;
      local.emit('reset');
    } catch {
      retryMs = Math.min(retryMs * 2, 30_000);
      if (!closed) setTimeout(() => void reconnect(), retryMs);
    }
  };
  let listener = await connect();
  const notify = async (channel: string, payload: string) => {
    try {
      await listener.query('select pg_notify($1, $2)', [channel, payload]);
    } catch {
      // The listener is reconnecting; other replicas learn of the change at their next reset at worst.
    }
  };
  return {
    // NOTIFY reaches this process's own listener too, but the local emit must not wait for the round trip.
    packageChanged: async (name) => {
      local.emit('changed', name);
      await notify(CHANNEL, name);
    },
    onPackageChanged: (fn) => void local.on('changed', fn),
    onReset: (fn) => void local.on('reset', fn),
    // No local emit here: the NOTIFY loopback is the single delivery, so every replica sees one order.
    broadcast: async (topic, payload) => notify(topicChannel(topic), payload),
    onBroadcast: async (topic, fn) => {
      const channel = topicChannel(topic);
      local.on(channel, fn);
      if (!listening.has(channel)) {
        listening.add(channel);
        await listener.query(`LISTEN ${channel}`);
      }
    },
    close: async () => {
      closed = true;
      local.removeAllListeners();
      await listener.end();
    },
  };
}
