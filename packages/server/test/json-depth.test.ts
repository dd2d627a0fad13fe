import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonDeeperThan } from '../src/http.js';
import { ADMIN_TOKEN, bearer, createTestWharf, type TestWharf } from './helpers.js';
import { encodeName, publishBody } from './support/packages.js';
import { packageJsonEntry, rawTgz } from './support/raw-tar.js';
import { publishDocument } from '../src/index.js';

const nested = (depth: number, inner = '0') => `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`;
/** The npm protocol's write routes, which the OpenAPI document (control plane only) does not list. */
const NPM_WRITES = [
  ['PUT', '/deep-pkg'],
  ['PUT', '/@deep/pkg'],
  ['PUT', '/deep-pkg/-rev/1-a'],
  ['PUT', '/-/user/org.couchdb.user:deep'],
  ['POST', '/-/npm/v1/tokens'],
  ['PUT', '/-/package/deep-pkg/dist-tags/beta'],
  ['POST', '/-/package/deep-pkg/access'],
  ['POST', '/-/npm/v1/security/advisories/bulk'],
  ['POST', '/-/v1/login'],
] as const;

// A body nested 100,000 deep used to overflow the stack later (JSON.stringify, a schema) as a 500.
describe('deeply nested JSON', () => {
  let w: TestWharf;
  let writes: (readonly [string, string])[];
  beforeAll(async () => {
    w = await createTestWharf('sqlite');
    const doc = (await w.app.inject({ url: '/docs/openapi.json' })).json() as { paths: Record<string, Record<string, unknown>> };
    const api = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops)
        .filter((m) => ['post', 'put', 'patch', 'delete'].includes(m))
        .map((m) => [m.toUpperCase(), path.replace(/\{[^}]+\}/g, 'x')] as [string, string]),
    );
    expect(api.length).toBeGreaterThan(30);
    writes = [...api, ...NPM_WRITES];
  });
  afterAll(() => w.destroy());

  it('every JSON write route answers 400 naming the limit, never 500', async () => {
    const body = nested(100_000);
    for (const [method, url] of writes) {
      const res = await w.app.inject({ method: method as 'PUT', url, headers: { ...bearer(ADMIN_TOKEN), 'content-type': 'application/json' }, payload: body });
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(400);
      expect(res.json().error, `${method} ${url}`).toBe('request body nests arrays and objects more than 64 deep');
    }
  });

  it('a valid publish with a deep manifest, or a deep package.json inside its tarball, is refused', async () => {
    const { body } = publishBody('deep-manifest', '1.0.0', { manifest: { config: JSON.parse(nested(1000)) } });
    const res = await w.app.inject({ method: 'PUT', url: '/deep-manifest', headers: { ...bearer(ADMIN_TOKEN), 'content-type': 'application/json' }, payload: JSON.stringify(body) });
    expect(res.json().error).toBe('request body nests arrays and objects more than 64 deep');
    expect(res.statusCode, res.body).toBe(400);
    const tarball = rawTgz([{ ...packageJsonEntry('deep-tar', '1.0.0'), body: `{"name":"deep-tar","version":"1.0.0","config":${nested(100_000)}}` }]);
    const put = await w.app.inject({ method: 'PUT', url: `/${encodeName('deep-tar')}`, headers: bearer(ADMIN_TOKEN), payload: publishDocument({ name: 'deep-tar', version: '1.0.0' }, tarball) });
    expect(put.statusCode, put.body).toBeGreaterThanOrEqual(400);
    expect(put.statusCode).toBeLessThan(500);
    expect(put.json().error).toContain('package/package.json nests arrays and objects more than 64 deep');
    expect((await w.app.inject({ url: '/deep-tar' })).statusCode).toBe(404);
  });

  it('counts depth outside strings only, and lets 64 levels through', () => {
    expect(jsonDeeperThan(nested(64), 64)).toBe(false);
    expect(jsonDeeperThan(nested(65), 64)).toBe(true);
    expect(jsonDeeperThan(JSON.stringify({ s: '['.repeat(1000), t: 'a\\"[[[[' }), 2)).toBe(false);
    expect(jsonDeeperThan(JSON.stringify(['x\\', [['y']]]), 2)).toBe(true);
    // Random documents: the scan agrees with the depth JSON itself has.
    for (let n = 0; n < 200; n++) {
      const depth = Math.floor(Math.random() * 20);
      let value: unknown = Math.random() < 0.5 ? 'str"[{' : 1;
      for (let d = 0; d < depth; d++) value = Math.random() < 0.5 ? [value, '}]\\'] : { k: value, '[': ']' };
      const text = JSON.stringify(value);
      expect(jsonDeeperThan(text, depth), text).toBe(false);
      if (depth > 0) expect(jsonDeeperThan(text, depth - 1), text).toBe(true);
    }
  });
});
