import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe } from 'vitest';
import { createWharf, loadConfig, type ConfigInput, type Wharf } from '../src/index.js';

export type Backend = 'sqlite' | 'postgres';
export const BACKENDS: Backend[] = ['sqlite', 'postgres'];

/** The PostgreSQL server the tests use: WHARF_TEST_PG_URL, else the local one with trust auth. */
export const PG_ADMIN_URL = process.env.WHARF_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A fresh database on the real PostgreSQL server; `drop` removes it. */
export async function throwawayPostgres(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `wharf_test_${Date.now()}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export interface TestWharf extends Wharf {
  backend: Backend;
  dataDir: string;
  /** Closes the server and deletes its data dir and database. */
  destroy(): Promise<void>;
}

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

/** A server on a temporary data dir and a throwaway database of the given backend (not listening). */
export async function createTestWharf(backend: Backend, overrides: ConfigInput = {}, options: Parameters<typeof createWharf>[1] = {}): Promise<TestWharf> {
  const dataDir = await mkdtemp(join(tmpdir(), 'wharf-test-'));
  const pgdb = backend === 'postgres' ? await throwawayPostgres() : null;
  const config = loadConfig({ dataDir, databaseUrl: pgdb?.url, logLevel: 'warn', adminToken: ADMIN_TOKEN, loginRateLimit: 1000, ...overrides }, {}, null);
  const wharf = await createWharf(config, options);
  return Object.assign(wharf, {
    backend,
    dataDir,
    async destroy() {
      const closing = wharf.close();
      // A listening test server can keep a client's keep-alive socket open past close (it closes only
      // the connections idle at that instant), which holds close for Fastify's 72 s keep-alive timeout.
      wharf.app.server.closeAllConnections();
      await closing;
      await pgdb?.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  });
}

/** Runs a suite once per storage backend: every storage-touching test proves both. */
export function describeEachBackend(name: string, fn: (backend: Backend) => void): void {
  for (const backend of BACKENDS) describe(`${name} [${backend}]`, () => fn(backend));
}

/** Creates a user through the npm adduser route and returns its token. */
export async function addUser(wharf: Wharf, name: string, password = 'a-long-password-123'): Promise<string> {
  const res = await wharf.app.inject({
    method: 'PUT',
    url: `/-/user/org.couchdb.user:${name}`,
    payload: { _id: `org.couchdb.user:${name}`, name, password, email: `${name}@example.com`, type: 'user', roles: [] },
  });
  if (res.statusCode !== 201) throw new Error(`adduser ${name} failed: ${res.statusCode} ${res.body}`);
  return (res.json() as { token: string }).token;
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
