import { afterAll, beforeAll, expect, it } from 'vitest';
import { ADMIN_TOKEN, addUser, bearer, createTestWharf, describeEachBackend, type TestWharf } from '../../server/test/helpers.js';
import { encodeName, publishBody } from '../../server/test/support/packages.js';
import { search } from '../src/search.js';
import { info } from '../src/info.js';

describeEachBackend('wharf search and wharf info', (backend) => {
  let w: TestWharf;
  let url: string;
  const printed = () => {
    const chunks: string[] = [];
    return { out: (s: string) => void chunks.push(s), text: () => chunks.join('') };
  };

  beforeAll(async () => {
    w = await createTestWharf(backend);
    const alice = await addUser(w, 'alice');
    const put = await w.app.inject({ method: 'PUT', url: `/${encodeName('@cartae/pdf-export')}`, headers: bearer(alice), payload: publishBody('@cartae/pdf-export', '1.2.0', { manifest: { cartae: { minVersion: '0.2.0' } } }).body });
    expect(put.statusCode, put.body).toBe(201);
    const listings = [
      { id: 'com.cartae.pdf-export', name: 'PDF Export', description: 'Export maps to PDF.', category: 'export', tags: ['pdf'], package: '@cartae/pdf-export', homepage: 'https://cartae.app/pdf' },
      { id: 'com.cartae.word-count', name: 'Word Count', description: 'Counts words.', category: 'productivity', tags: ['writing'] },
    ];
    for (const payload of listings) {
      const res = await w.app.inject({ method: 'POST', url: '/api/v1/plugins', headers: bearer(ADMIN_TOKEN), payload });
      expect(res.statusCode, res.body).toBe(201);
    }
    url = await w.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => w.destroy());

  it('prints one line per hit, filters by category, and takes the server from WHARF_REGISTRY', async () => {
    const p = printed();
    const result = await search('pdf exprt', {}, p.out, { WHARF_REGISTRY: url });
    expect(result.hits.map((h) => h.id)).toEqual(['com.cartae.pdf-export']);
    expect(p.text()).toMatch(/^com\.cartae\.pdf-export\s+-\s+0 installs {2}PDF Export — Export maps to PDF\.\n1 of 1 shown\n$/);
    const none = printed();
    await search('pdf', { registry: url, category: 'productivity' }, none.out, {});
    expect(none.text()).toBe('no plugins match "pdf"\n');
  });

  it('browses by filters alone when given no words', async () => {
    const p = printed();
    const result = await search('', { registry: url, category: 'productivity' }, p.out, {});
    expect(result.hits.map((h) => h.id)).toEqual(['com.cartae.word-count']);
    expect(p.text()).toMatch(/^com\.cartae\.word-count .*\n1 of 1 shown\n$/);
    const none = printed();
    await search('', { registry: url, tag: 'nothing-has-this' }, none.out, {});
    expect(none.text()).toBe('no plugins match these filters\n');
  });

  it('reports the server\'s refusal of a bad filter', async () => {
    await expect(search('pdf', { registry: url, category: 'nope' }, () => {}, {})).rejects.toThrow(/400 invalid query parameter at category/);
  });

  it('shows a listing with its versions and the host versions they need', async () => {
    const p = printed();
    await info('com.cartae.pdf-export', { registry: url }, p.out, {});
    const text = p.text();
    expect(text).toContain('PDF Export (com.cartae.pdf-export)\nExport maps to PDF.');
    expect(text).toContain('package    @cartae/pdf-export@1.2.0');
    expect(text).toMatch(/ {2}1\.2\.0 \(latest\) {2}\d{4}-\d\d-\d\d {2}host >= 0\.2\.0 {2}unsigned\n/);
    await expect(info('com.cartae.missing', { registry: url }, () => {}, {})).rejects.toThrow(/404/);
  });
});
