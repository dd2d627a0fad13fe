/** Why a delta was refused; the client falls back to the full download. */
export class DeltaError extends Error {
  override name = 'DeltaError';
}
