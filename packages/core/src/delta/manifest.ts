import * as z from 'zod/mini';

/**
 * The manifest of a delta between two versions of one package: per file, what the client does with
 * it. It carries no hashes: the client reads the old files from its verified install, and checks
 * every file the delta yields, unchanged ones included, against the new version's signed per-file
 * sha512 (TUF targets), so hashes here would add bytes (a third of a delta of many small files)
 * and nothing a client could trust.
 */
export const DELTA_FORMAT = 'wharf-delta/1';

const count = z.int().check(z.gte(0));

/** A package-relative path as signed metadata lists it: no `..`, no absolute or empty segments. */
export function deltaPathProblem(path: string): string | null {
  if (path === '' || path.length > 4096) return 'is empty or too long';
  if (path.startsWith('/') || path.includes('\\') || path.includes('\0') || /^[a-zA-Z]:/.test(path)) return 'is not a relative POSIX path';
  if (path.split('/').some((s) => s === '' || s === '.' || s === '..')) return 'has an empty, . or .. segment';
  if (path === '__proto__') return 'is __proto__';
  return null;
}

const path = z.string().check(
  z.refine((p) => deltaPathProblem(p) === null, { message: 'a package-relative path inside the package' }),
);

export const DeltaFileSchema = z.discriminatedUnion('method', [
  /** Gone from the new version. (A file the manifest does not name is the same in both.) */
  z.object({ method: z.literal('removed'), path }),
  /** A zstd frame that inflates to the new file with the old one as its dictionary. */
  z.object({ method: z.literal('patch'), path, size: count, offset: count, length: count }),
  /** A zstd frame of the new file alone (a new file, or one a patch does not shrink). */
  z.object({ method: z.literal('whole'), path, size: count, offset: count, length: count }),
]);
export type DeltaFile = z.infer<typeof DeltaFileSchema>;

export const DeltaManifestSchema = z.object({
  format: z.literal(DELTA_FORMAT),
  name: z.string().check(z.minLength(1), z.maxLength(214)),
  from: z.string().check(z.minLength(1), z.maxLength(256)),
  to: z.string().check(z.minLength(1), z.maxLength(256)),
  files: z.array(DeltaFileSchema).check(z.maxLength(100_000)),
});
export type DeltaManifest = z.infer<typeof DeltaManifestSchema>;
