/**
 * Why a trust check failed. Each code names one check of the TUF client workflow (or Wharf's own
 * package checks), so callers and tests can tell a rollback from a freeze from a tampered byte.
 */
export type TrustErrorCode =
  | 'malformed'
  | 'signature-threshold'
  | 'root-chain'
  | 'expired'
  | 'rollback'
  | 'version-mismatch'
  | 'hash-mismatch'
  | 'length-exceeded'
  | 'unknown-target'
  | 'revoked'
  | 'developer-signature'
  | 'fetch-failed'
  | 'not-initialised';

export class TrustError extends Error {
  constructor(
    readonly code: TrustErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'TrustError';
  }
}

export const isTrustError = (err: unknown): err is TrustError => err instanceof TrustError;
