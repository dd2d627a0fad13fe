export { DELTA_FORMAT, DeltaFileSchema, DeltaManifestSchema, deltaPathProblem, type DeltaFile, type DeltaManifest } from './manifest.js';
