import type { Permission } from '../src/access/permissions.js';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH';

/**
 * Every control-plane endpoint and the permission it must demand (public client endpoints are listed in
 * access.test.ts). Its own module so that the access matrix and the token scope tests walk the same list:
 * importing a test file would run its suites again.
 */
export const ENDPOINTS: { method: Method; url: string; permission: Permission; body?: unknown; route?: string }[] = [
  { method: 'GET', url: '/api/v1/audit', permission: 'audit.read' },
  { method: 'PUT', url: '/trust/root', permission: 'trust.root', body: { signed: {}, signatures: [] } },
  { method: 'GET', url: '/api/v1/audit/verify', permission: 'audit.read' },
  { method: 'GET', url: '/api/v1/users', permission: 'users.read' },
  { method: 'PUT', url: '/api/v1/users/nobody/role', route: '/api/v1/users/:name/role', permission: 'users.set-role', body: { role: 'reader' } },
  { method: 'GET', url: '/api/v1/snapshots/schema', permission: 'snapshots.read-draft' },
  { method: 'PUT', url: '/api/v1/snapshots/schema', permission: 'snapshots.schema', body: { schema: { type: 'object' } } },
  { method: 'POST', url: '/api/v1/snapshots/draft', permission: 'snapshots.draft', body: { document: { a: 1 } } },
  { method: 'GET', url: '/api/v1/snapshots/draft', permission: 'snapshots.read-draft' },
  { method: 'POST', url: '/api/v1/snapshots/preview', permission: 'snapshots.draft' },
  { method: 'GET', url: '/api/v1/snapshots/preview', permission: 'snapshots.read-draft' },
  { method: 'POST', url: '/api/v1/snapshots/publish', permission: 'snapshots.publish' },
  { method: 'POST', url: '/api/v1/snapshots/rollback', permission: 'snapshots.publish', body: { version: 1 } },
  { method: 'GET', url: '/api/v1/snapshots/history', permission: 'snapshots.history' },
  { method: 'GET', url: '/api/v1/snapshots/versions/1', route: '/api/v1/snapshots/versions/:version', permission: 'snapshots.history' },
  { method: 'GET', url: '/api/v1/release', permission: 'release.read' },
  { method: 'PUT', url: '/api/v1/release', permission: 'release.set', body: { latest: '1.0.0', minSupported: null, message: null, url: null, mode: 'SOFT_BLOCK' } },
  { method: 'GET', url: '/api/v1/rollouts', permission: 'rollouts.read' },
  { method: 'POST', url: '/api/v1/rollouts', permission: 'rollouts.write', body: { plugin: 'nope', channel: 'beta', version: '1.0.0', percentage: 5 } },
  { method: 'GET', url: '/api/v1/rollouts/some-id', route: '/api/v1/rollouts/:id', permission: 'rollouts.read' },
  { method: 'GET', url: '/api/v1/rollouts/health?plugin=nope', route: '/api/v1/rollouts/health', permission: 'rollouts.read' },
  { method: 'POST', url: '/api/v1/rollouts/some-id/raise', route: '/api/v1/rollouts/:id/raise', permission: 'rollouts.write', body: { percentage: 50 } },
  { method: 'POST', url: '/api/v1/rollouts/some-id/halt', route: '/api/v1/rollouts/:id/halt', permission: 'rollouts.write' },
  { method: 'POST', url: '/api/v1/rollouts/some-id/resume', route: '/api/v1/rollouts/:id/resume', permission: 'rollouts.write' },
  { method: 'POST', url: '/api/v1/rollouts/some-id/rollback', route: '/api/v1/rollouts/:id/rollback', permission: 'rollouts.write' },
  { method: 'GET', url: '/api/v1/flags', permission: 'flags.read' },
  { method: 'PUT', url: '/api/v1/flags', permission: 'flags.write', body: { version: 1, features: [] } },
  { method: 'PATCH', url: '/api/v1/flags/some-flag', route: '/api/v1/flags/:key', permission: 'flags.write', body: { state: 'ON' } },
  { method: 'GET', url: '/api/v1/config/marketplace_source', permission: 'sources.read' },
  { method: 'PUT', url: '/api/v1/config/marketplace_source', permission: 'sources.write', body: { type: 'git', priority: ['git'], sources: { git: 'http://127.0.0.1:9/plugins/' } } },
  { method: 'GET', url: '/api/v1/config/marketplace_source/history', permission: 'sources.read' },
  { method: 'GET', url: '/api/v1/sources/health', permission: 'sources.read' },
  { method: 'POST', url: '/api/v1/advisories', permission: 'advisories.import', body: { id: 'GHSA-none', modified: '2026-01-01T00:00:00Z' } },
  { method: 'GET', url: '/api/v1/policies', permission: 'vulnerability-policies.read' },
  { method: 'GET', url: '/api/v1/policies/@acme', route: '/api/v1/policies/:scope', permission: 'vulnerability-policies.read' },
  { method: 'PUT', url: '/api/v1/policies/@acme', route: '/api/v1/policies/:scope', permission: 'vulnerability-policies.set', body: { vulnerable: 'allow' } },
  // `*` has no owner: only the table can let a caller set its signature policy.
  { method: 'PUT', url: '/trust/policies/*', route: '/trust/policies/:scope', permission: 'signature-policies.set', body: { requireSignature: false } },
  { method: 'GET', url: '/api/v1/moderation/reports', permission: 'moderation.read' },
  { method: 'POST', url: '/api/v1/moderation/reports/00000000-0000-4000-8000-000000000000/resolve', route: '/api/v1/moderation/reports/:reportId/resolve', permission: 'moderation', body: { action: 'dismiss' } },
  { method: 'GET', url: '/api/v1/moderation/plugins', permission: 'moderation.read' },
  { method: 'PUT', url: '/api/v1/moderation/plugins/com.acme.nothing/state', route: '/api/v1/moderation/plugins/:id/state', permission: 'moderation', body: { state: 'published' } },
];
