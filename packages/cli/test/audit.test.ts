import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import { sql } from 'kysely';
import { ADMIN_TOKEN, createTestWharf, describeEachBackend, type TestWharf } from '../../server/test/helpers.js';
import { auditVerify } from '../src/audit.js';


describeEachBackend('wharf audit verify', (backend) => {
  let w: TestWharf;
  let url: string;
  beforeAll(async () => {
    w = await createTestWharf(backend);
    url = await w.app.listen({ port: 0, host: '127.0.0.1' });
    // More rows than one page of the CLI's download, so paging is exercised too.
    await w.store.db.transaction().execute(async (trx) => {
      for (let i = 0; i < 1005; i++) await w.audit.record({ actor: 'alice', action: 'test.write', target: `t:${i % 7}`, before: i, after: i + 1 }, trx);
    });
  });
  afterAll(() => w.destroy());
  afterEach(() => {
    process.exitCode = undefined;
    vi.restoreAllMocks();
  });

  it('accepts the intact chain and checks an expected head', async () => {
    vi.spyOn(process.stdout, 'write').mockReturnValue(true);
    const ok = await auditVerify({ registry: url, token: ADMIN_TOKEN });
    expect(ok).toMatchObject({ ok: true, count: 1005 });
    expect(process.exitCode).toBeUndefined();
    vi.spyOn(process.stderr, 'write').mockReturnValue(true);
    const truncated = await auditVerify({ registry: url, token: ADMIN_TOKEN, head: 'f'.repeat(64) });
    expect(truncated).toMatchObject({ ok: false, problem: 'deleted' });
    expect(process.exitCode).toBe(1);
  });

  it('exits 1 and names the row when a row was edited in the database', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockReturnValue(true);
    await sql`update audit_log set actor = 'mallory' where seq = 1002`.execute(w.store.db);
    const result = await auditVerify({ registry: url, token: ADMIN_TOKEN });
    expect(result).toMatchObject({ ok: false, seq: 1002, problem: 'edited' });
    expect(process.exitCode).toBe(1);
    expect(String(stderr.mock.calls[0]![0])).toContain('row 1002');
  });

  it('fails with the server message without an admin token', async () => {
    await expect(auditVerify({ registry: url })).rejects.toThrow(/401/);
  });
});
