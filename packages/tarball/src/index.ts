export { readTarball, TarballError, DEFAULT_MAX_UNPACKED_BYTES } from './read.js';
export type { Hasher, ReadTarballOptions, TarballContents, TarballFile, TarballLimits, TarballLink } from './read.js';
