import { afterAll, beforeAll, expect, it } from 'vitest';
import { PublishedSnapshotSchema, SnapshotHistorySchema, snapshotContentHash, verifyAuditChain, AuditPageSchema } from '@wharf/core';
import type { WharfEvent } from '../src/events/event-bus.js';
import { ADMIN_TOKEN, addUser, bearer, createTestWharf, describeEachBackend, type TestWharf } from './helpers.js';


const schema = {
  type: 'object',
  required: ['pages'],
  properties: { pages: { type: 'array', items: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } } }, theme: { type: 'string' } },
};

describeEachBackend('config snapshots', (backend) => {
  let w: TestWharf;
  let rm: string;
  const admin = bearer(ADMIN_TOKEN);
  beforeAll(async () => {
    w = await createTestWharf(backend);
    rm = await addUser(w, 'rami');
    const res = await w.app.inject({ method: 'PUT', url: '/api/v1/users/rami/role', headers: admin, payload: { role: 'release-manager' } });
    expect(res.statusCode, res.body).toBe(200);
  });
  afterAll(() => w.destroy());

  const events: WharfEvent[] = [];
  beforeAll(() => void w.events.subscribe((e) => events.push(e)));

  const post = (url: string, headers: Record<string, string>, payload?: unknown) => w.app.inject({ method: 'POST', url, headers, payload: payload as object });

  it('validates drafts against the registered JSON Schema', async () => {
    expect((await w.app.inject({ method: 'PUT', url: '/api/v1/snapshots/schema', headers: admin, payload: { schema: { type: 'bogus' } } })).statusCode).toBe(400);
    expect((await w.app.inject({ method: 'PUT', url: '/api/v1/snapshots/schema', headers: admin, payload: { schema } })).statusCode).toBe(200);
    const bad = await post('/api/v1/snapshots/draft', admin, { document: { pages: [{ id: 7 }] } });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error).toContain('/pages/0/id');
    expect((await post('/api/v1/snapshots/draft', admin, { nope: 1 })).statusCode).toBe(400);
  });

  it('keeps draft and preview away from clients, then publishes immutable numbered versions', async () => {
    expect((await w.app.inject({ url: '/api/v1/snapshots/published' })).statusCode).toBe(404);
    const doc1 = { pages: [{ id: 'home' }], theme: 'dark' };
    expect((await post('/api/v1/snapshots/draft', admin, { document: doc1 })).statusCode).toBe(200);
    expect((await w.app.inject({ url: '/api/v1/snapshots/draft' })).statusCode).toBe(401);
    expect((await w.app.inject({ url: '/api/v1/snapshots/draft', headers: bearer(rm) })).statusCode).toBe(403);
    expect((await w.app.inject({ url: '/api/v1/snapshots/published' })).statusCode).toBe(404);

    const preview = await post('/api/v1/snapshots/preview', admin);
    expect(preview.json()).toMatchObject({ stage: 'preview', document: doc1, contentHash: snapshotContentHash(doc1) });
    expect((await w.app.inject({ url: '/api/v1/snapshots/preview', headers: admin })).json().document).toEqual(doc1);

    const v1 = await post('/api/v1/snapshots/publish', bearer(rm));
    expect(v1.statusCode, v1.body).toBe(201);
    expect(PublishedSnapshotSchema.parse(v1.json())).toMatchObject({ version: 1, contentHash: snapshotContentHash(doc1), publishedBy: 'rami', rollbackOf: null });

    // The draft keeps changing; the published version does not.
    const doc2 = { pages: [{ id: 'home' }, { id: 'tables' }] };
    await post('/api/v1/snapshots/draft', admin, { document: doc2 });
    const pub = await w.app.inject({ url: '/api/v1/snapshots/published' });
    expect(pub.json()).toMatchObject({ version: 1, document: doc1 });
    const etag = pub.headers.etag as string;
    expect((await w.app.inject({ url: '/api/v1/snapshots/published', headers: { 'if-none-match': etag } })).statusCode).toBe(304);

    expect((await post('/api/v1/snapshots/publish', admin)).json()).toMatchObject({ version: 2, document: doc2 });
    const changed = await w.app.inject({ url: '/api/v1/snapshots/published', headers: { 'if-none-match': etag } });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({ version: 2, document: doc2 });
    expect((await w.app.inject({ url: '/api/v1/snapshots/versions/1', headers: admin })).json().document).toEqual(doc1);
    await expect.poll(() => events.filter((e) => e.type === 'snapshot.published').map((e) => (e.data as { version: number }).version)).toEqual([1, 2]);
  });

  it('gives the preview a link testers can use without a token, which dies with the next promotion', async () => {
    await w.app.inject({ method: 'POST', url: '/api/v1/snapshots/draft', headers: admin, payload: { document: { pages: [], theme: 'preview-1' } } });
    const first = (await w.app.inject({ method: 'POST', url: '/api/v1/snapshots/preview', headers: admin })).json() as { previewKey: string };
    expect(first.previewKey).toMatch(/^[\w-]{32}$/);
    const link = await w.app.inject({ url: `/api/v1/snapshots/preview/${first.previewKey}` });
    expect(link.statusCode).toBe(200);
    expect(link.json()).toMatchObject({ document: { theme: 'preview-1' } });
    expect(link.headers['cache-control']).toBe('private, no-store');
    // Nothing else is readable without a token, and a guess is a 404.
    expect((await w.app.inject({ url: '/api/v1/snapshots/preview' })).statusCode).toBe(401);
    expect((await w.app.inject({ url: `/api/v1/snapshots/preview/${'x'.repeat(32)}` })).statusCode).toBe(404);
    await w.app.inject({ method: 'POST', url: '/api/v1/snapshots/draft', headers: admin, payload: { document: { pages: [], theme: 'preview-2' } } });
    const second = (await w.app.inject({ method: 'POST', url: '/api/v1/snapshots/preview', headers: admin })).json() as { previewKey: string };
    expect(second.previewKey).not.toBe(first.previewKey);
    expect((await w.app.inject({ url: `/api/v1/snapshots/preview/${first.previewKey}` })).statusCode).toBe(404);
    expect((await w.app.inject({ url: `/api/v1/snapshots/preview/${second.previewKey}` })).json()).toMatchObject({ document: { theme: 'preview-2' } });
  });

  it('rolls back by republishing an earlier version as a new one, and lists the history', async () => {
    const back = await post('/api/v1/snapshots/rollback', bearer(rm), { version: 1 });
    expect(back.statusCode, back.body).toBe(201);
    expect(back.json()).toMatchObject({ version: 3, rollbackOf: 1, contentHash: snapshotContentHash({ pages: [{ id: 'home' }], theme: 'dark' }) });
    expect((await w.app.inject({ url: '/api/v1/snapshots/published' })).json().version).toBe(3);
    expect((await post('/api/v1/snapshots/rollback', admin, { version: 99 })).statusCode).toBe(404);
    const history = SnapshotHistorySchema.parse((await w.app.inject({ url: '/api/v1/snapshots/history', headers: bearer(rm) })).json());
    expect(history.current).toBe(3);
    expect(history.versions.map((v) => v.version)).toEqual([3, 2, 1]);
  });

  it('publishes atomically: concurrent publishes get distinct versions or a 409, never a gap or a duplicate', async () => {
    const results = await Promise.all(Array.from({ length: 6 }, () => post('/api/v1/snapshots/publish', admin)));
    const codes = results.map((r) => r.statusCode);
    expect(codes.every((c) => c === 201 || c === 409)).toBe(true);
    const history = SnapshotHistorySchema.parse((await w.app.inject({ url: '/api/v1/snapshots/history', headers: admin })).json());
    const versions = history.versions.map((v) => v.version).sort((a, b) => a - b);
    expect(versions).toEqual(Array.from({ length: versions.length }, (_, i) => i + 1));
    expect(versions.length).toBe(3 + codes.filter((c) => c === 201).length);
  });

  it('records every change in the audit chain', async () => {
    const page = AuditPageSchema.parse((await w.app.inject({ url: '/api/v1/audit?limit=1000', headers: admin })).json());
    const actions = page.entries.map((e) => e.action);
    for (const a of ['users.set-role', 'snapshots.schema', 'snapshots.draft', 'snapshots.preview', 'snapshots.publish', 'snapshots.rollback']) expect(actions).toContain(a);
    expect(page.entries.find((e) => e.action === 'snapshots.publish')).toMatchObject({ actor: 'rami', target: 'config:1' });
    expect(verifyAuditChain(page.entries).ok).toBe(true);
  });
});
