import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import canonicalizeModule from 'canonicalize';
import { canonicalize as olpcCanonicalize } from '@tufjs/canonical-json';
import { canonicalJson, tufCanonicalJson } from '../src/trust/bytes.js';

const canonicalize = canonicalizeModule as unknown as (v: unknown) => string | undefined;

describe('canonicalJson (RFC 8785)', () => {
  it('matches the canonicalize package on arbitrary JSON, integer-like keys included', () => {
    const key = fc.oneof(fc.string(), fc.constantFrom('0', '1', '10', '9', '01', '4294967295', 'a', 'B'));
    const json = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, fc.constant(null), fc.boolean(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string(), fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(key, tie('value'), { maxKeys: 5 })),
    })).value;
    fc.assert(fc.property(json, (v) => canonicalJson(v) === canonicalize(v)), { numRuns: 500 });
  });

  it('sorts keys by UTF-16 code units and refuses values JSON cannot carry', () => {
    expect(canonicalJson({ b: 1, a: [true, null], é: 'x', '\u{1F600}': 1, '\uFB33': 2 })).toBe(canonicalize({ b: 1, a: [true, null], é: 'x', '\u{1F600}': 1, '\uFB33': 2 }));
    expect(canonicalJson({ 10: 'a', 9: 'b', x: 1 })).toBe('{"10":"a","9":"b","x":1}');
    // A key named __proto__ (JSON.parse makes it an own property) is kept, as the signer's canonical form keeps it.
    expect(canonicalJson(JSON.parse('{"b":1,"__proto__":{"x":2}}'))).toBe('{"__proto__":{"x":2},"b":1}');
    // A Date is written as JSON.stringify writes it: the audit chain hashes live objects that are then stored as JSON.
    expect(canonicalJson({ at: new Date(0), list: [new Date(1)] })).toBe(canonicalize({ at: new Date(0), list: [new Date(1)] }));
    expect(canonicalJson({ at: new Date(0) })).toBe('{"at":"1970-01-01T00:00:00.000Z"}');
    expect(() => canonicalJson({ a: Infinity })).toThrow(TypeError);
    expect(() => canonicalJson([1n])).toThrow(TypeError);
  });
});

describe('tufCanonicalJson (the OLPC form TUF signs)', () => {
  it('matches @tufjs/canonical-json, which python-tuf and go-tuf agree with, control characters and backslashes included', () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'é', '"', '\\', '\n', '\u0001', '\t', 'u', 'n', '\u{1F600}') });
    const key = fc.oneof(text, fc.constantFrom('0', '1', '10', '9', 'a', 'B'));
    const json = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, fc.constant(null), fc.boolean(), fc.integer(), text, fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(key, tie('value'), { maxKeys: 5 })),
    })).value;
    fc.assert(fc.property(json, (v) => tufCanonicalJson(v) === olpcCanonicalize(v)), { numRuns: 1000 });
  });

  it("keeps a PEM key's newlines raw, where RFC 8785 escapes them, and refuses numbers TUF cannot carry", () => {
    const key = { keyval: { public: '-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n' }, keytype: 'ecdsa' };
    expect(tufCanonicalJson(key)).toBe('{"keytype":"ecdsa","keyval":{"public":"-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n"}}');
    expect(canonicalJson(key)).toContain('\\n');
    expect(tufCanonicalJson({ path: 'a\\nb' })).toBe(canonicalJson({ path: 'a\\nb' }));
    expect(() => tufCanonicalJson({ length: 1.5 })).toThrow(TypeError);
  });
});
