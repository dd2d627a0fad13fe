import { z } from 'zod';

/** What publishing a package with a vulnerable direct dependency does. */
export const VULNERABLE_POLICIES = ['block', 'flag', 'allow'] as const;
export type VulnerablePolicy = (typeof VULNERABLE_POLICIES)[number];
export const DEFAULT_VULNERABLE_POLICY: VulnerablePolicy = 'flag';

/** Body of `PUT /api/v1/policies/:scope`. */
export const ScopePolicySchema = z.strictObject({
  vulnerable: z.enum(VULNERABLE_POLICIES, { message: `vulnerable must be one of ${VULNERABLE_POLICIES.join(', ')}` }),
});
export type ScopePolicy = z.infer<typeof ScopePolicySchema>;

/** The policy a scope follows and the key that decided it: a scope, `*` (the registry default), or null for the built-in default. */
export const EffectivePolicySchema = z.object({ scope: z.string().nullable(), vulnerable: z.enum(VULNERABLE_POLICIES) });
export type EffectivePolicy = z.infer<typeof EffectivePolicySchema>;

/** `GET /api/v1/policies`: the built-in default and every policy set, keyed by scope (`*` is the registry default). */
export const VulnerabilityPoliciesSchema = z.object({
  default: z.enum(VULNERABLE_POLICIES),
  scopes: z.record(z.string(), z.object({ vulnerable: z.enum(VULNERABLE_POLICIES), updatedAt: z.string(), updatedBy: z.string() })),
});
export type VulnerabilityPolicies = z.infer<typeof VulnerabilityPoliciesSchema>;

/**
 * The policy key of a scope: `cartae` for `@cartae` or `cartae`; `*` is the registry default that
 * unscoped packages and scopes without their own policy follow.
 */
export function policyScopeKey(input: string): string | null {
  if (input === '*') return '*';
  const bare = input.startsWith('@') ? input.slice(1) : input;
  return /^[a-z0-9][a-z0-9._~-]{0,213}$/.test(bare) ? bare : null;
}
