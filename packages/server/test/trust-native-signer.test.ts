import { expect, it } from 'vitest';
import fc from 'fast-check';
import { generateKeyPair, signBytes, verifyBytes } from '@wharf/core';
import { signNative } from '../src/trust/native-signer.js';

it('signs exactly as core\'s isomorphic Ed25519 does (deterministic signatures), for any key and message', async () => {
  const keys = await Promise.all([generateKeyPair(), generateKeyPair(), generateKeyPair()]);
  fc.assert(
    fc.property(fc.constantFrom(...keys), fc.uint8Array({ maxLength: 4096 }), (key, message) => {
      const sig = signNative(key, message);
      expect(sig).toBe(signBytes(key, message));
      expect(verifyBytes(key.keyval.public, sig, message)).toBe(true);
    }),
    { numRuns: 300 },
  );
});
