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

export const RegisteredKeySchema = z.object({ keyid: z.string(), public: z.string(), name: z.nullable(z.string()), created_at: z.string(), revoked_at: z.nullable(z.string()) });
export type RegisteredKey = z.infer<typeof RegisteredKeySchema>;
/** `GET /trust/keys`: the caller's keys, revoked ones included. */
export const RegisteredKeyListSchema = z.object({ keys: z.array(RegisteredKeySchema) });
export type RegisteredKeyList = z.infer<typeof RegisteredKeyListSchema>;
/** The answer to `PUT /trust/policies/:scope`: the scope (without `@`) and its policy now. */
export const SignaturePolicySchema = z.object({ scope: z.string(), requireSignature: z.boolean() });
export type SignaturePolicy = z.infer<typeof SignaturePolicySchema>;
export const RootUpdateResponseSchema = z.object({ version: z.int() });
export const TrustOkSchema = z.looseObject({});
