import { EventEmitter } from 'node:events';
import pg from 'pg';

/**
 * "Package X changed" across every server process sharing the database: in-process for SQLite,
 * PostgreSQL LISTEN/NOTIFY for replicas. Caches subscribe to drop what they hold of X.
 */
export interface ChangeFeed {
  packageChanged(name: string): Promise<void>;
  onPackageChanged(listener: (name: string) => void): void;
  close(): Promise<void>;
}

const CHANNEL = 'wharf_package_changed';

export async function openChangeFeed(target: string): Promise<ChangeFeed> {
  const local = new EventEmitter();
  if (!/^postgres(ql)?:\/\//.test(target)) {
    return {
      packageChanged: async (name) => void local.emit('changed', name),
      onPackageChanged: (listener) => void local.on('changed', listener),
      close: async () => void local.removeAllListeners(),
    };
  }
  const listener = new pg.Client({ connectionString: target });
  await listener.connect();
  await listener.query(`LISTEN ${CHANNEL}`);
  listener.on('notification', (msg) => {
    if (msg.channel === CHANNEL && msg.payload) local.emit('changed', msg.payload);
  });
  return {
    // NOTIFY reaches this process's own listener too, but the local emit must not wait for the round trip.
    packageChanged: async (name) => {
      local.emit('changed', name);
      await listener.query('select pg_notify($1, $2)', [CHANNEL, name]);
    },
    onPackageChanged: (fn) => void local.on('changed', fn),
    close: async () => {
      local.removeAllListeners();
      await listener.end();
    },
  };
}
