import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { addUser, createTestWharf, type TestWharf } from './helpers.js';
import { publish } from './trust-helpers.js';

describe('a publish is not undone by derived data failing after it', () => {
  let w: TestWharf;
  beforeAll(async () => {
    w = await createTestWharf('sqlite');
  });
  afterAll(() => w.destroy());

  it('answers 201 when the search index cannot be written, and the version is installable', async () => {
    const token = await addUser(w, 'author');
    // The search index's tag table gone: every index write fails from now on.
    await sql`drop table search_tags`.execute(w.store.db);
    const res = await publish(w, token, '@derived/plugin', '1.0.0');
    expect(res.statusCode, res.body).toBe(201);
    const doc = (await w.app.inject({ url: '/@derived%2fplugin' })).json();
    expect(Object.keys(doc.versions)).toEqual(['1.0.0']);
    const tarball = await w.app.inject({ url: '/@derived/plugin/-/plugin-1.0.0.tgz' });
    expect(tarball.statusCode).toBe(200);
    expect(JSON.parse((await w.catalog.current()).body.toString()).payload.plugins.map((p: { name: string }) => p.name)).toEqual(['@derived/plugin']);
  });
});
