// Browser-safe entry: web APIs only (fetch, WebCrypto, streams, OPFS). Node adapters live in ./node.
export { FlagClient, type FlagClientEvents, type FlagClientOptions, type FlagsChanged } from './flags/flag-client.js';
export { VersionGate, type GateCheck, type Maintenance, type UpdateRequired, type VersionGateEvents, type VersionGateOptions } from './gate/version-gate.js';
export { HealthReporter, type HealthReporterOptions } from './reporting/health-reporter.js';
