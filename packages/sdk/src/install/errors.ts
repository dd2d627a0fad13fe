/**
 * Why the SDK refused to install, activate or load a plugin. One code per refusal, so a host can
 * tell "try again later" (network) from "this will never work" (revoked, tampered, incompatible).
 */
export type PluginErrorCode =
  /** No verified catalog yet (first start offline). */
  | 'no-catalog'
  /** The catalog in use is past its signed expiry: it may hide a revocation, so nothing is installed from it. */
  | 'catalog-stale'
  | 'not-found'
  | 'no-matching-version'
  | 'suspended'
  | 'revoked'
  | 'incompatible'
  /** The server or the network failed; retrying may help. */
  | 'network'
  /** The server answered something that is not the expected document. */
  | 'bad-response'
  /** A signature, length, hash, per-file hash or file list did not check: the bytes are not what was published. */
  | 'verification-failed'
  /** The tarball is not a readable npm package (archive, package.json, entry file). */
  | 'bad-package'
  | 'not-installed'
  /** The stored state record is unreadable (edited or damaged storage); uninstalling clears it. */
  | 'corrupt-state'
  | 'disabled'
  | 'no-previous-version'
  /** The plugin's code imports something other than what the host shares (relative files, URLs, other packages). */
  | 'unsupported-import'
  | 'no-activate'
  | 'activation-failed';

export class PluginError extends Error {
  constructor(
    readonly code: PluginErrorCode,
    readonly plugin: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${plugin}: ${message}`, options);
    this.name = 'PluginError';
  }
}

export const isPluginError = (err: unknown, code?: PluginErrorCode): err is PluginError => err instanceof PluginError && (code === undefined || err.code === code);
