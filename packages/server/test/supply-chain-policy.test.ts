import { METADATA_CACHE } from '../src/cdn/index.js';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, addUser, bearer, createTestWharf, describeEachBackend, type TestWharf } from './helpers.js';
import { osvAdvisory, publish } from './supply-chain-support.js';

const admin = bearer(ADMIN_TOKEN);

describeEachBackend('supply chain: advisories, policies and npm audit', (backend) => {
  let w: TestWharf;
  let token: string;
  const importAdvisories = (payload: unknown, headers = admin) => w.app.inject({ method: 'POST', url: '/api/v1/advisories', headers, payload: payload as object });
  const setPolicy = (scope: string, payload: unknown, headers = admin) => w.app.inject({ method: 'PUT', url: `/api/v1/policies/${scope}`, headers, payload: payload as object });

  beforeAll(async () => {
    w = await createTestWharf(backend);
    token = await addUser(w, 'carol');
  });
  afterAll(() => w.destroy());

  describe('advisory import', () => {
    it('is for administrators only', async () => {
      const advisory = osvAdvisory('GHSA-auth-test-0001', 'left-pad', '0', '1.3.1');
      expect((await importAdvisories(advisory, {} as typeof admin)).statusCode).toBe(401);
      const asUser = await importAdvisories(advisory, bearer(token));
      expect(asUser.statusCode).toBe(403);
      expect(asUser.json().error).toMatch(/role publisher may not advisories\.import/);
    });

    it('refuses malformed OSV with a 400 naming the problem', async () => {
      const good = osvAdvisory('GHSA-bad-0001', 'left-pad', '0', '1.3.1');
      const cases: [unknown, RegExp][] = [
        [{ ...good, id: undefined }, /at 0\.id/],
        [{ ...good, id: 'has spaces' }, /advisory id may contain only/],
        [{ ...good, modified: 'yesterday' }, /at 0\.modified: not an RFC 3339 timestamp/],
        [{ ...good, affected: [{ package: { ecosystem: 'npm', name: 'x' }, ranges: [{ type: 'SEMVER', events: [{ fixed: '1.0.0' }] }] }] }, /needs an "introduced" event/],
        [{ ...good, affected: [{ package: { ecosystem: 'npm', name: 'x' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.0' }] }] }] }, /"1\.0" is not a SemVer version/],
        [{ ...good, affected: [{ package: { ecosystem: 'npm', name: 'x' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0', fixed: '1.0.0' }] }] }] }, /at 0\.affected\.0\.ranges\.0\.events\.0/],
        [{ ...good, affected: [{ package: { ecosystem: 'npm', name: 'x' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.0.0' }, { last_affected: '0.9.0' }] }] }] }, /not both/],
        [{ ...good, affected: [{ package: { ecosystem: 'npm', name: 'x' }, ranges: [{ type: 'GIT', events: [{ introduced: 'abc' }] }] }] }, /GIT range needs its repo/],
        [{ ...good, references: [{ type: 'BLOG', url: 'https://x.test' }] }, /at 0\.references\.0\.type/],
        [[good, good], /appears twice/],
        [[], /no advisories to import/],
        ['just a string', /invalid advisories/],
      ];
      for (const [payload, message] of cases) {
        const res = await w.app.inject({ method: 'POST', url: '/api/v1/advisories', headers: { ...admin, 'content-type': 'application/json' }, payload: JSON.stringify(payload) });
        expect(res.statusCode, `${JSON.stringify(payload).slice(0, 120)} → ${res.body}`).toBe(400);
        expect(res.json().error).toMatch(message);
      }
      const notJson = await w.app.inject({ method: 'POST', url: '/api/v1/advisories', headers: { ...admin, 'content-type': 'application/json' }, payload: '{"id": ' });
      expect(notJson.statusCode).toBe(400);
      expect((await w.app.inject({ url: '/api/v1/advisories?package=x' })).json()).toEqual({ total: 0, advisories: [] });
    });

    it('imports one object or an array, idempotently on the advisory id', async () => {
      const first = osvAdvisory('GHSA-idem-0001', 'idem-lib', '0', '2.0.0');
      const created = await importAdvisories(first);
      expect(created.statusCode, created.body).toBe(200);
      expect(created.json()).toEqual({ imported: 1, advisories: [{ id: 'GHSA-idem-0001', outcome: 'created' }] });
      const again = await importAdvisories([first]);
      expect(again.json()).toEqual({ imported: 0, advisories: [{ id: 'GHSA-idem-0001', outcome: 'unchanged' }] });
      // A newer copy replaces it, including the packages it affects; an older copy does not.
      const newer = osvAdvisory('GHSA-idem-0001', 'other-lib', '0', '3.0.0', { modified: '2026-02-01T00:00:00Z' });
      const older = osvAdvisory('GHSA-idem-0001', 'idem-lib', '0', '1.0.0', { modified: '2025-01-01T00:00:00Z' });
      expect((await importAdvisories([newer, osvAdvisory('GHSA-idem-0002', 'idem-lib', '1.0.0', '1.0.1')])).json().advisories).toEqual([
        { id: 'GHSA-idem-0001', outcome: 'updated' },
        { id: 'GHSA-idem-0002', outcome: 'created' },
      ]);
      expect((await importAdvisories(older)).json().advisories).toEqual([{ id: 'GHSA-idem-0001', outcome: 'older' }]);
      const forIdem = (await w.app.inject({ url: '/api/v1/advisories?package=idem-lib' })).json();
      expect(forIdem.advisories.map((a: { id: string }) => a.id)).toEqual(['GHSA-idem-0002']);
      const forOther = (await w.app.inject({ url: '/api/v1/advisories?package=other-lib' })).json();
      expect(forOther.advisories.map((a: { id: string }) => a.id)).toEqual(['GHSA-idem-0001']);
      const one = await w.app.inject({ url: '/api/v1/advisories/GHSA-idem-0001' });
      expect(one.json().modified).toBe('2026-02-01T00:00:00Z');
      const missing = await w.app.inject({ url: '/api/v1/advisories/GHSA-none' });
      expect(missing.statusCode).toBe(404);
      expect(missing.json().error).toMatch(/not found/);
    });
  });

  describe('scope policies', () => {
    it('are set by administrators, validated, and default to "flag"', async () => {
      expect((await w.app.inject({ url: '/api/v1/policies/@fresh', headers: admin })).json()).toEqual({ scope: null, vulnerable: 'flag' });
      const bad = await setPolicy('@fresh', { vulnerable: 'explode' });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error).toMatch(/vulnerable must be one of block, flag, allow/);
      expect((await setPolicy('@fresh', { vulnerable: 'block', extra: 1 })).statusCode).toBe(400);
      expect((await setPolicy('@Not%20A%20Scope', { vulnerable: 'block' })).statusCode).toBe(400);
      expect((await setPolicy('@fresh', { vulnerable: 'block' }, bearer(token))).statusCode).toBe(403);
      expect((await setPolicy('*', { vulnerable: 'allow' })).json()).toEqual({ scope: '*', vulnerable: 'allow' });
      expect((await w.app.inject({ url: '/api/v1/policies/@fresh', headers: admin })).json()).toEqual({ scope: '*', vulnerable: 'allow' });
      expect((await setPolicy('fresh', { vulnerable: 'block' })).json()).toEqual({ scope: 'fresh', vulnerable: 'block' });
      const all = (await w.app.inject({ url: '/api/v1/policies', headers: admin })).json();
      expect(all.default).toBe('flag');
      expect(Object.keys(all.scopes)).toEqual(['*', 'fresh']);
      expect(all.scopes.fresh).toMatchObject({ vulnerable: 'block', updatedBy: 'admin' });
      // Back to the built-in default for the other suites below.
      await setPolicy('*', { vulnerable: 'flag' });
    });
  });

  describe('publishing against advisories', () => {
    beforeAll(async () => {
      const res = await importAdvisories([osvAdvisory('GHSA-pp42-0001', 'pollute-me', '1.0.0', '1.2.3'), osvAdvisory('GHSA-wd00-0001', 'pollute-me', '0', '9.0.0', { withdrawn: '2026-01-11T00:00:00Z' })]);
      expect(res.statusCode, res.body).toBe(200);
      await setPolicy('@blocked', { vulnerable: 'block' });
      await setPolicy('@allowed', { vulnerable: 'allow' });
    });

    it('"block" refuses a dependency range that can resolve into an affected version, naming advisory and component, and stores nothing', async () => {
      const res = (await publish(w, token, { name: '@blocked/app', version: '1.0.0', dependencies: { 'pollute-me': '^1.1.0' } })).res;
      expect(res.statusCode).toBe(422);
      expect(res.json().error).toMatch(/GHSA-pp42-0001/);
      expect(res.json().error).toMatch(/pollute-me/);
      expect(res.json().error).toMatch(/scope @blocked is "block"/);
      // Withdrawn advisories never count.
      expect(res.json().error).not.toMatch(/GHSA-wd00/);
      expect((await w.app.inject({ url: '/@blocked%2fapp' })).statusCode).toBe(404);
      expect((await w.app.inject({ url: '/plugins/@blocked/app/1.0.0/sbom.json' })).statusCode).toBe(404);
    });

    it('"block" accepts ranges that cannot reach an affected version, and non-registry specs', async () => {
      for (const [version, spec] of [
        ['1.0.1', '^1.2.3'],
        ['1.0.2', '>=2.0.0'],
        ['1.0.3', '0.9.x'],
        ['1.0.4', 'github:someone/pollute-me'],
      ] as const) {
        const res = (await publish(w, token, { name: '@blocked/app', version, dependencies: { 'pollute-me': spec } })).res;
        expect(res.statusCode, `${spec}: ${res.body}`).toBe(201);
      }
      const report = (await w.app.inject({ url: '/plugins/@blocked/app/1.0.1/vulnerabilities.json' })).json();
      expect(report).toMatchObject({ name: '@blocked/app', version: '1.0.1', policy: { scope: 'blocked', vulnerable: 'block' }, flagged: [], findings: [] });
    });

    it('"block" follows npm aliases and optional/peer dependencies', async () => {
      const aliased = (await publish(w, token, { name: '@blocked/alias', version: '1.0.0', dependencies: { pm: 'npm:pollute-me@~1.2.0' } })).res;
      expect(aliased.statusCode).toBe(422);
      const peer = (await publish(w, token, { name: '@blocked/peer', version: '1.0.0', peerDependencies: { 'pollute-me': '1.x' } })).res;
      expect(peer.statusCode).toBe(422);
    });

    it('"flag" (the default) publishes and records the finding in the version\'s vulnerabilities.json', async () => {
      const res = (await publish(w, token, { name: '@flagged/app', version: '2.0.0', dependencies: { 'pollute-me': '~1.2.0', 'safe-lib': '^1.0.0' } })).res;
      expect(res.statusCode, res.body).toBe(201);
      const report = await w.app.inject({ url: '/plugins/@flagged/app/2.0.0/vulnerabilities.json' });
      expect(report.statusCode).toBe(200);
      expect(report.headers['cache-control']).toBe(METADATA_CACHE);
      const body = report.json();
      expect(body.policy).toEqual({ scope: '*', vulnerable: 'flag' });
      expect(body.flagged).toEqual([{ advisory: 'GHSA-pp42-0001', component: 'pollute-me', declaredRange: '~1.2.0', flaggedAt: expect.any(String) }]);
      expect(body.findings).toEqual([
        { advisory: 'GHSA-pp42-0001', summary: 'Prototype pollution in pollute-me', severity: 'critical', component: 'pollute-me', declaredRange: '~1.2.0', vulnerableVersions: '>=1.0.0 <1.2.3' },
      ]);
    });

    it('"allow" publishes without a flag, while findings stay visible', async () => {
      const res = (await publish(w, token, { name: '@allowed/app', version: '1.0.0', dependencies: { 'pollute-me': '*' } })).res;
      expect(res.statusCode).toBe(201);
      const body = (await w.app.inject({ url: '/plugins/@allowed/app/1.0.0/vulnerabilities.json' })).json();
      expect(body.flagged).toEqual([]);
      expect(body.findings.map((f: { advisory: string }) => f.advisory)).toEqual(['GHSA-pp42-0001']);
    });

    it('advisories imported after a publish show up in its findings, not in its flags', async () => {
      expect((await publish(w, token, { name: 'late-news', version: '1.0.0', dependencies: { 'later-lib': '^3.0.0' } })).res.statusCode).toBe(201);
      await importAdvisories(osvAdvisory('GHSA-late-0001', 'later-lib', '3.1.0', '3.1.5'));
      const body = (await w.app.inject({ url: '/plugins/late-news/1.0.0/vulnerabilities.json' })).json();
      expect(body.flagged).toEqual([]);
      expect(body.findings.map((f: { advisory: string }) => f.advisory)).toEqual(['GHSA-late-0001']);
    });
  });

  describe('npm bulk audit endpoint', () => {
    const bulk = (payload: Buffer | string, headers: Record<string, string>) =>
      w.app.inject({ method: 'POST', url: '/-/npm/v1/security/advisories/bulk', headers: { 'content-type': 'application/json', ...headers }, payload });

    beforeAll(async () => {
      await importAdvisories(osvAdvisory('GHSA-aud1-0001', 'audited', '1.0.0', '1.4.0', { database_specific: { severity: 'MODERATE', cwe_ids: ['CWE-79'] } }));
    });

    it('answers a gzip body with the advisories affecting the versions sent, in npm\'s shape', async () => {
      const res = await bulk(gzipSync(JSON.stringify({ audited: ['1.2.0', '2.0.0'], 'not-audited': ['1.0.0'] })), { 'content-encoding': 'gzip' });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({
        audited: [
          {
            id: 'GHSA-aud1-0001',
            url: 'https://example.test/advisories/GHSA-aud1-0001',
            title: 'Prototype pollution in audited',
            severity: 'moderate',
            vulnerable_versions: '>=1.0.0 <1.4.0',
            cwe: ['CWE-79'],
            cvss: { score: 9.8, vectorString: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' },
          },
        ],
      });
    });

    it('leaves out packages whose versions are all outside the affected ranges; accepts uncompressed bodies', async () => {
      const res = await bulk(JSON.stringify({ audited: ['1.4.0', '0.9.0'] }), {});
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({});
    });

    it('answers 400 JSON, never 500, to garbage', async () => {
      const cases: [Buffer | string, Record<string, string>, RegExp][] = [
        [Buffer.from('this is not gzip at all'), { 'content-encoding': 'gzip' }, /not valid gzip/],
        [gzipSync('{"audited": ['), { 'content-encoding': 'gzip' }, /not valid JSON/],
        [gzipSync(JSON.stringify({ audited: '1.0.0' })), { 'content-encoding': 'gzip' }, /invalid audit request at audited/],
        [gzipSync(JSON.stringify(['audited'])), { 'content-encoding': 'gzip' }, /invalid audit request/],
        [gzipSync(JSON.stringify({ a: ['1.0.0'] })).subarray(0, 12), { 'content-encoding': 'gzip' }, /not valid gzip/],
      ];
      for (const [payload, headers, message] of cases) {
        const res = await bulk(payload, headers);
        expect(res.statusCode, res.body).toBe(400);
        expect(res.json().error).toMatch(message);
      }
      const brotli = await bulk(Buffer.from('xx'), { 'content-encoding': 'br' });
      expect(brotli.statusCode).toBe(415);
      expect(brotli.json().error).toMatch(/content-encoding br is not supported/);
    });

    it('stops inflating at the body limit (gzip bomb)', async () => {
      const bomb = gzipSync(JSON.stringify({ audited: Array.from({ length: 1 }, () => 'x'.repeat(9 * 1024 * 1024)) }));
      expect(bomb.length).toBeLessThan(100 * 1024);
      const res = await bulk(bomb, { 'content-encoding': 'gzip' });
      expect(res.statusCode).toBe(413);
      expect(res.json().error).toMatch(/too large/);
    });
  });
});
