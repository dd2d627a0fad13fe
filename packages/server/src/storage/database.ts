import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Database } from './schema.js';

export type DialectName = 'sqlite' | 'postgres';

export interface OpenDatabase {
  db: Kysely<Database>;
  dialect: DialectName;
}

/** Opens SQLite (a file path) or PostgreSQL (a `postgres://` URL): the only place that knows the drivers. */
export function openDatabase(target: string): OpenDatabase {
  if (/^postgres(ql)?:\/\//.test(target)) {
    // bigint columns come back as JS numbers: sizes and counters stay far below 2^53.
    pg.types.setTypeParser(20, (v) => Number(v));
    const pool = new pg.Pool({ connectionString: target, max: 10 });
    // An idle client killed by the server (restart, failover, admin) is dropped from the pool and replaced
    // on next use; without a listener its 'error' event would crash the process.
    pool.on('error', () => undefined);
    return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), dialect: 'postgres' };
  }
  if (target !== ':memory:') mkdirSync(dirname(target), { recursive: true });
  const database = new SqliteDatabase(target);
  // WAL lets readers proceed during a write; synchronous=NORMAL is durable across process crashes in WAL mode.
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  return { db: new Kysely<Database>({ dialect: new SqliteDialect({ database }) }), dialect: 'sqlite' };
}

/** Unique or primary-key violation, whichever driver raised it: how storage reports "already exists". */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

export async function pingDatabase(db: Kysely<Database>): Promise<void> {
  await sql`select 1`.execute(db);
}
