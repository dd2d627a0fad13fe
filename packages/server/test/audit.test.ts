import { afterAll, beforeAll, expect, it } from 'vitest';
import { sql } from 'kysely';
import { AuditPageSchema, verifyAuditChain, type AuditEntry } from '@wharf/core';
import { ADMIN_TOKEN, addUser, bearer, createTestWharf, describeEachBackend, type TestWharf } from './helpers.js';


describeEachBackend('audit log', (backend) => {
  let w: TestWharf;
  let readerToken: string;
  beforeAll(async () => {
    w = await createTestWharf(backend);
    readerToken = await addUser(w, 'rita');
  });
  afterAll(() => w.destroy());

  async function fetchAll(query = ''): Promise<AuditEntry[]> {
    const entries: AuditEntry[] = [];
    let after = 0;
    for (;;) {
      const res = await w.app.inject({ url: `/api/v1/audit?limit=7&after=${after}${query}`, headers: bearer(ADMIN_TOKEN) });
      expect(res.statusCode, res.body).toBe(200);
      const page = AuditPageSchema.parse(res.json());
      entries.push(...page.entries);
      if (page.next === null) return entries;
      after = page.next;
    }
  }

  it('keeps one unforked chain under concurrent appends, in and out of caller transactions', async () => {
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        i % 3 === 0
          ? w.store.db.transaction().execute((trx) => w.audit.record({ actor: 'alice', action: 'test.write', target: `t:${i}`, before: null, after: { i } }, trx))
          : w.audit.record({ actor: i % 2 ? 'bob' : 'alice', action: 'test.write', target: `t:${i}`, before: { n: i - 1 }, after: { n: i, nested: { z: 1, a: [1, 'two'] } } }),
      ),
    );
    const entries = await fetchAll();
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(verifyAuditChain(entries)).toMatchObject({ ok: true, count: 30 });
    expect(await w.audit.verify()).toMatchObject({ ok: true, count: 30, head: entries[29]!.hash });
  });

  it('a rolled-back caller transaction leaves no audit row', async () => {
    const before = (await fetchAll()).length;
    await expect(
      w.store.db.transaction().execute(async (trx) => {
        await w.audit.record({ actor: 'alice', action: 'test.write', target: 't:rollback', before: null, after: 1 }, trx);
        throw new Error('change failed');
      }),
    ).rejects.toThrow('change failed');
    expect((await fetchAll()).length).toBe(before);
  });

  it('filters by actor and target, and refuses anonymous (401) and non-admin (403) callers', async () => {
    const bob = await fetchAll('&actor=bob');
    expect(bob.length).toBeGreaterThan(0);
    expect(bob.every((e) => e.actor === 'bob')).toBe(true);
    expect((await fetchAll('&target=t:4')).map((e) => e.target)).toEqual(['t:4']);
    expect((await w.app.inject({ url: '/api/v1/audit' })).statusCode).toBe(401);
    expect((await w.app.inject({ url: '/api/v1/audit', headers: bearer(readerToken) })).statusCode).toBe(403);
    expect((await w.app.inject({ url: '/api/v1/audit?limit=abc', headers: bearer(ADMIN_TOKEN) })).statusCode).toBe(400);
  });

  it('detects an edited, a deleted and a reordered row in the database', async () => {
    const seqOf = (n: number) => n;
    await sql`update audit_log set after = ${JSON.stringify({ n: 999 })} where seq = ${seqOf(5)}`.execute(w.store.db);
    let result = await w.audit.verify();
    expect(result).toMatchObject({ ok: false, seq: 5, problem: 'edited' });
    const served = await w.app.inject({ url: '/api/v1/audit/verify', headers: bearer(ADMIN_TOKEN) });
    expect(served.json()).toMatchObject({ ok: false, seq: 5, problem: 'edited' });
    // The CLI's path: the chain over HTTP, verified locally.
    expect(verifyAuditChain(await fetchAll())).toMatchObject({ ok: false, seq: 5, problem: 'edited' });

    await sql`delete from audit_log where seq = ${seqOf(5)}`.execute(w.store.db);
    result = await w.audit.verify();
    expect(result).toMatchObject({ ok: false, seq: 6, problem: 'deleted' });

    // Swap two rows' sequence numbers: each row is intact but they no longer link.
    await sql`update audit_log set seq = -1 where seq = 10`.execute(w.store.db);
    await sql`update audit_log set seq = 10 where seq = 11`.execute(w.store.db);
    await sql`update audit_log set seq = 11 where seq = -1`.execute(w.store.db);
    await sql`delete from audit_log where seq < 10`.execute(w.store.db);
    result = await w.audit.verify();
    expect(result).toMatchObject({ ok: false, seq: 10 });
  });
});
