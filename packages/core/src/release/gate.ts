import { validVersion, versionLt, versionLte } from '../npm/versions.js';
import * as z from 'zod/mini';

/**
 * What the gate does with a client, by mode:
 * - SOFT_BLOCK: always 200. A client below `minSupported` gets `requiresUpdate: true` and should
 *   show a dismissible prompt; it may keep working.
 * - HARD_BLOCK: a client below `minSupported` gets 426 Upgrade Required (same body,
 *   `requiresUpdate: true`) and must stop until updated; others get 200.
 * - MAINTENANCE: 503 for every client whatever its version, with the body (`message` explains,
 *   `requiresUpdate` still computed) and Retry-After when `retryAfterSeconds` is set: the
 *   service is deliberately closed and clients should show the message and retry later.
 */
export const RELEASE_MODES = ['SOFT_BLOCK', 'HARD_BLOCK', 'MAINTENANCE'] as const;
export const ReleaseModeSchema = z.enum(RELEASE_MODES);
export type ReleaseMode = z.infer<typeof ReleaseModeSchema>;

const SemverString = z.string().check(z.refine((v) => validVersion(v) !== null, 'must be a SemVer version'));

/** The policy operators set with `PUT /api/v1/release` or `wharf release set`. */
export const ReleasePolicySchema = z
  .object({
    latest: z.nullable(SemverString),
    minSupported: z.nullable(SemverString),
    message: z.nullable(z.string().check(z.maxLength(2000))),
    url: z.nullable(z.url()),
    mode: ReleaseModeSchema,
    retryAfterSeconds: z._default(z.nullable(z.int().check(z.gte(1), z.lte(86_400))), null),
  })
  .check(z.refine((p) => p.latest === null || p.minSupported === null || versionLte(p.minSupported, p.latest), { message: 'minSupported must not be above latest', path: ['minSupported'] }));
export type ReleasePolicy = z.infer<typeof ReleasePolicySchema>;

export const DEFAULT_RELEASE_POLICY: ReleasePolicy = { latest: null, minSupported: null, message: null, url: null, mode: 'SOFT_BLOCK', retryAfterSeconds: null };

/** Body of `GET /meta/release` (for 200, 426 and 503 alike). */
export const ReleaseGateSchema = z.object({
  latest: z.nullable(z.string()),
  minSupported: z.nullable(z.string()),
  message: z.nullable(z.string()),
  url: z.nullable(z.string()),
  publishedConfigVersion: z.nullable(z.int()),
  requiresUpdate: z.boolean(),
  /** The client is below `latest`: an update exists even if not required. */
  updateAvailable: z.boolean(),
  mode: ReleaseModeSchema,
});
export type ReleaseGate = z.infer<typeof ReleaseGateSchema>;

export type GateDecision = { status: 200 | 426 | 503; body: ReleaseGate; retryAfterSeconds: number | null } | { status: 400; error: string };

/** Pure decision of the version gate for one client version (the `X-Client-Version` header). */
export function evaluateGate(policy: ReleasePolicy, clientVersion: string | undefined, publishedConfigVersion: number | null): GateDecision {
  if (!clientVersion) return { status: 400, error: 'the X-Client-Version header is required' };
  const client = validVersion(clientVersion.trim());
  if (!client) return { status: 400, error: `X-Client-Version "${clientVersion}" is not a SemVer version` };
  const requiresUpdate = policy.minSupported !== null && versionLt(client, policy.minSupported);
  const body: ReleaseGate = {
    latest: policy.latest,
    minSupported: policy.minSupported,
    message: policy.message,
    url: policy.url,
    publishedConfigVersion,
    requiresUpdate,
    updateAvailable: policy.latest !== null && versionLt(client, policy.latest),
    mode: policy.mode,
  };
  if (policy.mode === 'MAINTENANCE') return { status: 503, body, retryAfterSeconds: policy.retryAfterSeconds };
  if (policy.mode === 'HARD_BLOCK' && requiresUpdate) return { status: 426, body, retryAfterSeconds: null };
  return { status: 200, body, retryAfterSeconds: null };
}
