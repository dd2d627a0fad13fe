import { createHash, randomBytes } from 'node:crypto';

/** A new secret: `wharf_` and 32 random bytes, so that leaked tokens are easy to grep for. */
export function newTokenSecret(): string {
  return `wharf_${randomBytes(32).toString('base64url')}`;
}

/** Tokens are stored as sha256: unlike passwords they are high-entropy, so a fast hash is enough. */
export function hashToken(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

