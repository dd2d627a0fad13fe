import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWharf, loadConfig, type Wharf } from '../src/index.js';
import { ADMIN_TOKEN, addUser, bearer, PG_ADMIN_URL, throwawayPostgres } from './helpers.js';
import { publishBody } from './support/packages.js';

/** Two server replicas sharing one PostgreSQL database and blob folder, as in a multi-machine deployment. */
describe('replicas on one PostgreSQL database', () => {
  let a: Wharf;
  let b: Wharf;
  let dir: string;
  let db: Awaited<ReturnType<typeof throwawayPostgres>>;
  let token: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wharf-replicas-'));
    db = await throwawayPostgres();
    const config = loadConfig({ dataDir: dir, databaseUrl: db.url, logLevel: 'warn', adminToken: ADMIN_TOKEN }, {}, null);
    a = await createWharf(config);
    b = await createWharf(config);
    token = await addUser(a, 'rep');
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  const latestOn = async (w: Wharf) => (await w.app.inject({ url: '/shared-pkg' })).json()['dist-tags']?.latest;
  const until = async (check: () => Promise<boolean>) => {
    for (let i = 0; i < 100; i++) {
      if (await check()) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
    return false;
  };

  it('a publish on one replica invalidates the cached packument on the other', async () => {
    await a.app.inject({ method: 'PUT', url: '/shared-pkg', headers: bearer(token), payload: publishBody('shared-pkg', '1.0.0').body });
    expect(await latestOn(b)).toBe('1.0.0');
    await a.app.inject({ method: 'PUT', url: '/shared-pkg', headers: bearer(token), payload: publishBody('shared-pkg', '1.1.0').body });
    expect(await until(async () => (await latestOn(b)) === '1.1.0')).toBe(true);
  });

  it('survives the loss of its LISTEN connection, reconnects and starts its caches over', async () => {
    expect(await latestOn(b)).toBe('1.1.0');
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    // Kill every change-feed session of this database: what a database restart does to them.
    const killed = await admin.query(
      `select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and application_name = 'wharf-change-feed' and pid <> pg_backend_pid()`,
      [new URL(db.url).pathname.slice(1)],
    );
    await admin.end();
    expect(killed.rowCount).toBeGreaterThan(0);
    // While b's listener is down, a publishes: b must not keep serving 1.1.0 once it has reconnected.
    await a.app.inject({ method: 'PUT', url: '/shared-pkg', headers: bearer(token), payload: publishBody('shared-pkg', '1.2.0').body });
    expect(await until(async () => (await latestOn(b)) === '1.2.0')).toBe(true);
    await a.app.inject({ method: 'PUT', url: '/shared-pkg', headers: bearer(token), payload: publishBody('shared-pkg', '1.3.0').body });
    expect(await until(async () => (await latestOn(b)) === '1.3.0')).toBe(true);
  });

  it('drops its cached flag set when the feed resets, so flag changes missed meanwhile show', async () => {
    const flagsOn = async (w: Wharf) => ((await w.app.inject({ url: '/api/client/features' })).json() as { version: number }).version;
    const before = await flagsOn(b);
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and application_name = 'wharf-change-feed' and pid <> pg_backend_pid()`, [
      new URL(db.url).pathname.slice(1),
    ]);
    await admin.end();
    const put = await a.app.inject({
      method: 'PUT',
      url: '/api/v1/flags',
      headers: bearer(ADMIN_TOKEN),
      payload: { version: 1, features: [{ name: 'replica-flag', enabled: true, strategies: [{ name: 'default' }] }] },
    });
    expect(put.statusCode, put.body).toBeLessThan(300);
    expect(await until(async () => (await flagsOn(b)) > before)).toBe(true);
  });
});
