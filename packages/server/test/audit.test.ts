import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { sql } from 'kysely';
import { AuditPageSchema, generateKeyPair, verifyAuditChain, type AuditEntry } from '@wharf/core';
import { ADMIN_TOKEN, addUser, bearer, createTestWharf, describeEachBackend, type TestWharf } from './helpers.js';
import { osvAdvisory } from './supply-chain-support.js';
import { publish } from './trust-helpers.js';
import { currentRoot, nextRoot, roleKeys, serverKey, signEnvelope } from './trust-forge.js';


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

describeEachBackend('audit of trust, supply-chain and moderation changes', (backend) => {
  let w: TestWharf;
  let ada: Record<string, string>;
  let alice: Record<string, string>;
  let bob: Record<string, string>;
  beforeAll(async () => {
    w = await createTestWharf(backend);
    // Actors are the callers' names: an admin-role user, not the static admin token's `admin`.
    ada = bearer(await addUser(w, 'ada'));
    expect((await w.app.inject({ method: 'PUT', url: '/api/v1/users/ada/role', headers: bearer(ADMIN_TOKEN), payload: { role: 'admin' } })).statusCode).toBe(200);
    alice = bearer(await addUser(w, 'alice'));
    bob = bearer(await addUser(w, 'bob'));
    expect((await publish(w, alice.authorization!.slice(7), '@acme/tool', '1.0.0')).statusCode).toBe(201);
  });
  afterAll(() => w.destroy());

  const call = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, headers: Record<string, string>, payload?: unknown, status?: number) => {
    const res = await w.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
    if (status !== undefined) expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(status);
    return res;
  };
  const head = async () => (await w.audit.list({ after: 0, limit: 1_000_000 })).length;
  /** The entries appended since `seq`, over the HTTP API. */
  async function since(seq: number): Promise<AuditEntry[]> {
    return AuditPageSchema.parse((await call('GET', `/api/v1/audit?after=${seq}&limit=1000`, bearer(ADMIN_TOKEN), undefined, 200)).json()).entries;
  }
  const pick = (e: AuditEntry) => ({ actor: e.actor, action: e.action, target: e.target, before: e.before, after: e.after });

  it('signature and vulnerability policies: one row per change, none for the policy in force', async () => {
    const seq = await head();
    await call('PUT', '/trust/policies/@acme', ada, { requireSignature: true }, 200);
    await call('PUT', '/trust/policies/@acme', ada, { requireSignature: true }, 200);
    await call('PUT', '/trust/policies/*', ada, { requireSignature: false }, 200);
    await call('PUT', '/api/v1/policies/@acme', ada, { vulnerable: 'block' }, 200);
    await call('PUT', '/api/v1/policies/@acme', ada, { vulnerable: 'block' }, 200);
    await call('PUT', '/api/v1/policies/@acme', ada, { vulnerable: 'allow' }, 200);
    expect((await since(seq)).map(pick)).toEqual([
      { actor: 'ada', action: 'signature-policies.set', target: 'signature-policy:acme', before: null, after: { requireSignature: true } },
      { actor: 'ada', action: 'signature-policies.set', target: 'signature-policy:*', before: null, after: { requireSignature: false } },
      { actor: 'ada', action: 'vulnerability-policies.set', target: 'vulnerability-policy:acme', before: null, after: { vulnerable: 'block' } },
      { actor: 'ada', action: 'vulnerability-policies.set', target: 'vulnerability-policy:acme', before: { vulnerable: 'block' }, after: { vulnerable: 'allow' } },
    ]);
    await call('PUT', '/trust/policies/@acme', ada, { requireSignature: false }, 200);
    expect((await since(seq + 4)).map(pick)).toEqual([
      { actor: 'ada', action: 'signature-policies.set', target: 'signature-policy:acme', before: { requireSignature: true }, after: { requireSignature: false } },
    ]);
  });

  it('advisory imports: one row per import that changed something, with each id\'s previous and new `modified`', async () => {
    const seq = await head();
    await call('POST', '/api/v1/advisories', ada, [osvAdvisory('GHSA-aud0-0001', 'left-pad', '0', '1.0.0'), osvAdvisory('GHSA-aud0-0002', 'left-pad', '0', '2.0.0')], 200);
    await call('POST', '/api/v1/advisories', ada, osvAdvisory('GHSA-aud0-0001', 'left-pad', '0', '1.0.0'), 200);
    await call('POST', '/api/v1/advisories', ada, [osvAdvisory('GHSA-aud0-0001', 'left-pad', '0', '1.0.1', { modified: '2026-02-01T00:00:00Z' }), osvAdvisory('GHSA-aud0-0002', 'left-pad', '0', '2.0.0')], 200);
    expect((await since(seq)).map(pick)).toEqual([
      { actor: 'ada', action: 'advisories.import', target: 'advisories', before: { 'GHSA-aud0-0001': null, 'GHSA-aud0-0002': null }, after: { 'GHSA-aud0-0001': '2026-01-10T12:00:00Z', 'GHSA-aud0-0002': '2026-01-10T12:00:00Z' } },
      { actor: 'ada', action: 'advisories.import', target: 'advisories', before: { 'GHSA-aud0-0001': '2026-01-10T12:00:00Z' }, after: { 'GHSA-aud0-0001': '2026-02-01T00:00:00Z' } },
    ]);
  });

  it('version and key revocations, once each', async () => {
    const seq = await head();
    const revoke = { name: '@acme/tool', version: '1.0.0', reason: 'leaked credentials' };
    await call('POST', '/trust/revocations', alice, revoke, 201);
    await call('POST', '/trust/revocations', alice, { ...revoke, reason: 'again' }, 201);
    const key = await generateKeyPair();
    await call('POST', '/trust/keys', bob, { public: key.keyval.public, name: 'laptop' }, 201);
    // An admin revoking someone else's key: the row names the owner.
    await call('DELETE', `/trust/keys/${key.keyid}`, ada, undefined, 204);
    await call('DELETE', `/trust/keys/${key.keyid}`, bob, undefined, 204);
    const entries = await since(seq);
    expect(entries.map(pick)).toEqual([
      { actor: 'alice', action: 'trust.revoke-version', target: 'version:@acme/tool@1.0.0', before: { revoked: false }, after: { revoked: true, reason: 'leaked credentials' } },
      { actor: 'ada', action: 'trust.revoke-key', target: `key:${key.keyid}`, before: { owner: 'bob', name: 'laptop', revokedAt: null }, after: { owner: 'bob', name: 'laptop', revokedAt: expect.any(String) } },
    ]);
    const stored = (await call('GET', '/trust/keys', bob, undefined, 200)).json().keys as { keyid: string; revoked_at: string }[];
    expect((entries[1]!.after as { revokedAt: string }).revokedAt).toBe(stored.find((k) => k.keyid === key.keyid)!.revoked_at);
  });

  it('root rotation: the keys and thresholds before and after', async () => {
    const seq = await head();
    const v1 = await currentRoot(w);
    const timestampKey = await serverKey(w);
    const v2 = nextRoot(v1, { timestamp: { keys: [timestampKey], threshold: 1 } });
    const res = await w.app.inject({ method: 'PUT', url: '/trust/root', headers: { ...ada, 'content-type': 'application/json' }, payload: signEnvelope(v2, await roleKeys(w, v1, 'root')) });
    expect(res.statusCode, res.body).toBe(200);
    const [entry, ...rest] = await since(seq);
    expect(rest).toEqual([]);
    expect(pick(entry!)).toMatchObject({ actor: 'ada', action: 'trust.rotate-root', target: 'trust:root', before: { version: 1, expires: v1.expires }, after: { version: 2, expires: v2.expires } });
    const roles = (e: unknown) => (e as { roles: Record<string, { keyids: string[]; threshold: number }> }).roles;
    expect(roles(entry!.before).timestamp).toEqual(v1.roles.timestamp);
    expect(roles(entry!.after)).toEqual({ root: v1.roles.root, targets: v1.roles.targets, snapshot: v1.roles.snapshot, timestamp: { keyids: [timestampKey.keyid], threshold: 1 } });
  });

  it('moderation: approve, resolve (dismiss, hide a review, suspend), reinstate', async () => {
    await call('POST', '/api/v1/plugins', alice, { id: 'com.acme.tool', name: 'Tool', description: 'A tool.', category: 'export', tags: [], package: '@acme/tool' }, 201);
    const seq = await head();
    await call('PUT', '/api/v1/moderation/plugins/com.acme.tool/state', ada, { state: 'published' }, 200);
    await call('PUT', '/api/v1/moderation/plugins/com.acme.tool/state', ada, { state: 'published' }, 200);
    const review = (await call('POST', '/api/v1/plugins/com.acme.tool/reviews', bob, { rating: 1, body: 'meh' }, 201)).json() as { id: string };
    const dismissed = (await call('POST', '/api/v1/plugins/com.acme.tool/reports', bob, { reason: 'spam' }, 201)).json() as { id: string };
    const aboutReview = (await call('POST', '/api/v1/plugins/com.acme.tool/reports', alice, { reason: 'abuse', reviewId: review.id }, 201)).json() as { id: string };
    const aboutPlugin = (await call('POST', '/api/v1/plugins/com.acme.tool/reports', bob, { reason: 'malware' }, 201)).json() as { id: string };
    await call('POST', `/api/v1/moderation/reports/${dismissed.id}/resolve`, ada, { action: 'dismiss' }, 200);
    await call('POST', `/api/v1/moderation/reports/${aboutReview.id}/resolve`, ada, { action: 'hide-review' }, 200);
    await call('POST', `/api/v1/moderation/reports/${aboutReview.id}/resolve`, ada, { action: 'hide-review' }, 409);
    await call('POST', `/api/v1/moderation/reports/${aboutPlugin.id}/resolve`, ada, { action: 'suspend-plugin' }, 200);
    await call('PUT', '/api/v1/moderation/plugins/com.acme.tool/state', ada, { state: 'published' }, 200);
    expect((await since(seq)).map(pick)).toEqual([
      { actor: 'ada', action: 'moderation.approve', target: 'plugin:com.acme.tool', before: { state: 'pending' }, after: { state: 'published' } },
      { actor: 'ada', action: 'moderation.resolve-report', target: `report:${dismissed.id}`, before: { state: 'open' }, after: { state: 'resolved', resolution: 'dismiss' } },
      { actor: 'ada', action: 'moderation.resolve-report', target: `report:${aboutReview.id}`, before: { state: 'open' }, after: { state: 'resolved', resolution: 'hide-review' } },
      { actor: 'ada', action: 'moderation.hide-review', target: `review:${review.id}`, before: { hidden: false }, after: { hidden: true } },
      { actor: 'ada', action: 'moderation.resolve-report', target: `report:${aboutPlugin.id}`, before: { state: 'open' }, after: { state: 'resolved', resolution: 'suspend-plugin' } },
      { actor: 'ada', action: 'moderation.suspend', target: 'plugin:com.acme.tool', before: { state: 'published' }, after: { state: 'suspended' } },
      { actor: 'ada', action: 'moderation.reinstate', target: 'plugin:com.acme.tool', before: { state: 'suspended' }, after: { state: 'published' } },
    ]);
  });

  it('a change whose audit row fails is not made', async () => {
    const seq = await head();
    const failing = vi.spyOn(w.audit, 'record').mockRejectedValue(new Error('audit storage down'));
    try {
      await call('PUT', '/api/v1/policies/@acme', ada, { vulnerable: 'block' }, 500);
      await call('PUT', '/trust/policies/@acme', ada, { requireSignature: true }, 500);
      await call('PUT', '/api/v1/moderation/plugins/com.acme.tool/state', ada, { state: 'suspended' }, 500);
      await call('POST', '/trust/revocations', ada, { name: '@acme/tool', version: '1.0.0', reason: 'x' }, 201); // already revoked: nothing to audit
      expect(failing).toHaveBeenCalledTimes(3);
    } finally {
      failing.mockRestore();
    }
    expect((await call('GET', '/api/v1/policies/@acme', ada, undefined, 200)).json()).toEqual({ scope: 'acme', vulnerable: 'allow' });
    expect(await w.store.db.selectFrom('trust_scope_policies').select('require_signature').where('scope', '=', 'acme').executeTakeFirstOrThrow()).toEqual({ require_signature: 0 });
    expect((await call('GET', '/api/v1/plugins/com.acme.tool', ada, undefined, 200)).json().state).toBe('published');
    expect(await since(seq)).toEqual([]);
  });

  it('keeps a chain that verifies, over HTTP (as the CLI does) and on the server', async () => {
    const entries = await since(0);
    expect(verifyAuditChain(entries)).toMatchObject({ ok: true, count: entries.length });
    expect((await call('GET', '/api/v1/audit/verify', bearer(ADMIN_TOKEN), undefined, 200)).json()).toMatchObject({ ok: true, count: entries.length });
    const actions = new Set(entries.map((e) => e.action));
    for (const action of [
      'signature-policies.set',
      'vulnerability-policies.set',
      'advisories.import',
      'trust.revoke-version',
      'trust.revoke-key',
      'trust.rotate-root',
      'moderation.approve',
      'moderation.suspend',
      'moderation.reinstate',
      'moderation.hide-review',
      'moderation.resolve-report',
    ]) {
      expect(actions, action).toContain(action);
    }
  });
});
