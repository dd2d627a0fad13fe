import * as z from 'zod/mini';

/** Bodies of the trust HTTP API (server validates, CLI sends). */
export const RegisterKeyBodySchema = z.object({
  public: z.string().check(z.regex(/^[0-9a-f]{64}$/, 'public must be a 32-byte Ed25519 public key in hex')),
  name: z.optional(z.string().check(z.minLength(1), z.maxLength(100))),
});
export type RegisterKeyBody = z.infer<typeof RegisterKeyBodySchema>;

// Control characters are refused: they are where RFC 8785 and TUF's canonical JSON disagree.
const plainText = (max: number) => z.string().check(z.minLength(1), z.maxLength(max), z.regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters'));

export const RevokeBodySchema = z.object({ name: z.string().check(z.minLength(1)), version: z.string().check(z.minLength(1)), reason: plainText(500) });
export type RevokeBody = z.infer<typeof RevokeBodySchema>;

export const SignaturePolicyBodySchema = z.object({ requireSignature: z.boolean() });
export type SignaturePolicyBody = z.infer<typeof SignaturePolicyBodySchema>;

export interface RegisteredKey {
  keyid: string;
  public: string;
  name: string | null;
  created_at: string;
  revoked_at: string | null;
}

export const RegisteredKeySchema = z.object({ keyid: z.string(), public: z.string(), name: z.nullable(z.string()), created_at: z.string(), revoked_at: z.nullable(z.string()) });
export const RootUpdateResponseSchema = z.object({ version: z.int() });
export const TrustOkSchema = z.looseObject({});
