import { fileHashes, readTarball, sha512 } from '@wharf/tarball/node';
import {
  AdvisoryImportSchema,
  DEFAULT_VULNERABLE_POLICY,
  ScopePolicySchema,
  advisoryCwes,
  advisorySeverity,
  declaredDependencies,
  findVulnerabilities,
  isPackageNameError,
  npmPackagesOf,
  parsePackageName,
  policyScopeKey,
  versionIsAffected,
  vulnerableVersions,
  type AdvisoryImportReport,
  type AuditBulkRequest,
  type AuditBulkResponse,
  type EffectivePolicy,
  type OsvAdvisory,
  type VulnerabilityFinding,
  type VulnerabilityPolicies,
  type VulnerablePolicy,
  type AuditReport,
  type AuditTreeNode,
  type AuditTreeRequest,
} from '@wharf/core';
import type { Readable } from 'node:stream';
import { badRequest, notFound, unprocessable } from '../errors.js';
import { parseBody } from '../http.js';
import type { PublishCandidate, PublishedVersion } from '../events/domain-events.js';
import type { RegistryService } from '../registry/registry-service.js';
import type { FlagRow, SupplyChainRepository } from './supply-chain-repository.js';
import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import { SbomBuilder } from './sbom-builder.js';
import type { AuditLog } from '../audit/audit-log.js';

export interface VersionVulnerabilities {
  name: string;
  version: string;
  policy: EffectivePolicy;
  /** Findings recorded when the version was published under the "flag" policy. */
  flagged: { advisory: string; component: string; declaredRange: string; flaggedAt: string }[];
  /** Findings against the advisories known now (advisories imported after the publish included). */
  findings: VulnerabilityFinding[];
}

const parseAdvisory = (document: string) => JSON.parse(document) as OsvAdvisory;

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Supply-chain facts about published versions: the SBOM every publish produces, OSV advisories
 * imported by operators, the per-scope policy that refuses or flags publishes with vulnerable
 * dependencies, and the bulk advisory answer `npm audit` asks for.
 */
export class SupplyChainService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly repo: SupplyChainRepository,
    private readonly registry: RegistryService,
    private readonly audit: AuditLog,
    private readonly now: () => Date = () => new Date(),
    private readonly sboms = new SbomBuilder(),
  ) {}

  /** The "block" policy refuses here, before the tarball is stored (a `version.publishing` validator). */
  async checkPublish(candidate: PublishCandidate): Promise<void> {
    const policy = await this.policyFor(candidate.name);
    if (policy.vulnerable !== 'block') return;
    const findings = await this.findingsFor(candidate.packageJson);
    if (findings.length === 0) return;
    const list = findings.map((f) => `${f.advisory} (${f.severity}) affects ${f.component}@${f.vulnerableVersions}, reachable from the declared range "${f.declaredRange}"`).join('; ');
    throw unprocessable(
      `${candidate.name}@${candidate.version} depends on vulnerable versions and the policy of ${policy.scope === null || policy.scope === '*' ? 'this registry' : `scope @${policy.scope}`} is "block": ${list}. Narrow or raise those dependency ranges past the affected versions.`,
    );
  }

  /**
   * After a publish: the SBOM, and the findings the version is flagged with. Under "block" findings
   * can only appear here if an advisory arrived between the check and the store; they are recorded
   * too, since the version is public by now.
   */
  async recordPublish(published: PublishedVersion): Promise<void> {
    const at = this.now();
    const sbom = await this.sboms.build(published, at);
    await this.db.transaction().execute((trx) => this.repo.putSbom(trx, published.name, published.version, sbom, at.toISOString()));
    const policy = await this.policyFor(published.name);
    if (policy.vulnerable === 'allow') return;
    const findings = await this.findingsFor(published.packageJson);
    const flags = findings.map<FlagRow>((f) => ({ package: published.name, version: published.version, advisory_id: f.advisory, component: f.component, declared_range: f.declaredRange, flagged_at: at.toISOString() }));
    await this.db.transaction().execute((trx) => this.repo.addFlags(trx, flags));
  }

  private async findingsFor(packageJson: Record<string, unknown>): Promise<VulnerabilityFinding[]> {
    const dependencies = declaredDependencies(packageJson);
    if (dependencies.length === 0) return [];
    const advisories = (await this.repo.advisoriesFor(dependencies.map((d) => d.name))).map(parseAdvisory);
    return findVulnerabilities(dependencies, advisories);
  }

  /** Stops the SBOM worker. */
  close(): Promise<void> {
    return this.sboms.close();
  }

  /** CycloneDX JSON of a published version, or null when the version does not exist (any more). */
  async sbom(name: string, version: string): Promise<string | null> {
    const doc = await this.registry.document(name);
    const row = doc?.versions.find((v) => v.version === version);
    if (!row) return null;
    const stored = await this.repo.getSbom(name, version);
    if (stored) return stored;
    // Versions published before SBOMs existed get theirs from the stored tarball on first request.
    const ref = { key: row.blob_key, size: row.size, integrity: row.integrity };
    const tarball = (await this.registry.tarballBytes(ref)) ?? (await readAll(this.registry.tarballStream(ref)));
    const packageJson = JSON.parse(row.manifest) as Record<string, unknown>;
    const contents = await readTarball(tarball, { hash: sha512, limits: { maxUnpackedBytes: Number.MAX_SAFE_INTEGER } });
    const input = { name, version, integrity: row.integrity, packageJson, files: contents.files, fileHashes: fileHashes(contents) };
    const sbom = await this.sboms.build(input, new Date(row.published_at));
    await this.db.transaction().execute((trx) => this.repo.putSbom(trx, name, version, sbom, this.now().toISOString()));
    return this.repo.getSbom(name, version);
  }

  async vulnerabilities(name: string, version: string): Promise<VersionVulnerabilities | null> {
    const doc = await this.registry.document(name);
    const row = doc?.versions.find((v) => v.version === version);
    if (!row) return null;
    const [policy, flags, findings] = await Promise.all([this.policyFor(name), this.repo.getFlags(name, version), this.findingsFor(JSON.parse(row.manifest) as Record<string, unknown>)]);
    return {
      name,
      version,
      policy,
      flagged: flags.map((f) => ({ advisory: f.advisory_id, component: f.component, declaredRange: f.declared_range, flaggedAt: f.flagged_at })),
      findings,
    };
  }

  /**
   * Stores the advisories newer than the copies held. One audit row per import that changed
   * anything, target `advisories`: before and after map each created or updated id to its
   * `modified` (null: not held before). Imports run to thousands of advisories, and the documents
   * stay in the advisories table.
   */
  async importAdvisories(actor: string, body: unknown): Promise<AdvisoryImportReport> {
    const advisories = parseBody(AdvisoryImportSchema, body, 'advisories');
    const ids = new Set<string>();
    for (const a of advisories) {
      if (ids.has(a.id)) throw badRequest(`advisory ${a.id} appears twice in one import`);
      ids.add(a.id);
    }
    const results = await this.db.transaction().execute(async (trx) => {
      const results = await this.repo.importAdvisories(
        trx,
        advisories.map((a) => ({ id: a.id, modified: a.modified, document: JSON.stringify(a), packages: npmPackagesOf(a) })),
        this.now().toISOString(),
      );
      const changed = advisories.flatMap((a, i) => (results[i]!.outcome === 'created' || results[i]!.outcome === 'updated' ? [{ a, previous: results[i]!.previous }] : []));
      if (changed.length > 0) {
        const before = Object.fromEntries(changed.map(({ a, previous }) => [a.id, previous]));
        const after = Object.fromEntries(changed.map(({ a }) => [a.id, a.modified]));
        await this.audit.record({ actor, action: 'advisories.import', target: 'advisories', before, after }, trx);
      }
      return results;
    });
    return { imported: results.filter((r) => r.outcome === 'created' || r.outcome === 'updated').length, advisories: advisories.map((a, i) => ({ id: a.id, outcome: results[i]!.outcome })) };
  }

  async listAdvisories(pkg: string | undefined): Promise<OsvAdvisory[]> {
    return (await this.repo.listAdvisories(pkg)).map(parseAdvisory);
  }

  async advisory(id: string): Promise<OsvAdvisory> {
    const document = await this.repo.getAdvisory(id);
    if (!document) throw notFound(`advisory ${id} not found`);
    return parseAdvisory(document);
  }

  /** A scope's own policy, else the registry default (`*`), else "flag". */
  async policyFor(packageName: string): Promise<EffectivePolicy> {
    const parsed = parsePackageName(packageName);
    return this.policyForScope(isPackageNameError(parsed) ? null : parsed.scope);
  }

  private async policyForScope(scope: string | null): Promise<EffectivePolicy> {
    const own = scope ? await this.repo.getPolicy(scope) : null;
    const row = own ?? (await this.repo.getPolicy('*'));
    return row ? { scope: row.scope, vulnerable: row.vulnerable as VulnerablePolicy } : { scope: null, vulnerable: DEFAULT_VULNERABLE_POLICY };
  }

  async policies(): Promise<VulnerabilityPolicies> {
    const rows = await this.repo.listPolicies();
    return {
      default: DEFAULT_VULNERABLE_POLICY,
      scopes: Object.fromEntries(rows.map((r) => [r.scope, { vulnerable: r.vulnerable as VulnerablePolicy, updatedAt: r.updated_at, updatedBy: r.updated_by }])),
    };
  }

  async scopePolicy(scopeInput: string): Promise<EffectivePolicy> {
    const scope = this.scopeKey(scopeInput);
    return this.policyForScope(scope === '*' ? null : scope);
  }

  /** Sets a scope's own policy (`*`: the registry default); setting the policy in force changes nothing. */
  async setScopePolicy(actor: string, scopeInput: string, body: unknown): Promise<EffectivePolicy> {
    const scope = this.scopeKey(scopeInput);
    const policy = parseBody(ScopePolicySchema, body, 'policy');
    await this.db.transaction().execute(async (trx) => {
      const before = await this.repo.getPolicy(scope, trx);
      if (before?.vulnerable === policy.vulnerable) return;
      await this.repo.setPolicy(trx, scope, policy.vulnerable, this.now().toISOString(), actor);
      await this.audit.record({ actor, action: 'vulnerability-policies.set', target: `vulnerability-policy:${scope}`, before: before ? { vulnerable: before.vulnerable } : null, after: { vulnerable: policy.vulnerable } }, trx);
    });
    return { scope, vulnerable: policy.vulnerable };
  }

  /**
   * npm's bulk audit: for each package, the advisories that affect at least one of the versions
   * sent, with npm-style `vulnerable_versions`. Packages without any are left out, as npm expects.
   */
  async auditBulk(request: AuditBulkRequest, advisoryUrl: (id: string) => string): Promise<AuditBulkResponse> {
    const response: AuditBulkResponse = {};
    const advisories = (await this.repo.advisoriesFor(Object.keys(request))).map(parseAdvisory).filter((a) => !a.withdrawn);
    for (const [name, versions] of Object.entries(request)) {
      for (const advisory of advisories) {
        const range = vulnerableVersions(advisory, name);
        if (range === null || !versions.some((v) => versionIsAffected(v, range))) continue;
        const { severity, cvss } = advisorySeverity(advisory);
        const reference = advisory.references?.find((r) => r.type === 'ADVISORY') ?? advisory.references?.[0];
        (response[name] ??= []).push({
          id: advisory.id,
          url: reference?.url ?? advisoryUrl(advisory.id),
          title: advisory.summary ?? advisory.details?.split('\n')[0] ?? advisory.id,
          severity,
          vulnerable_versions: range,
          cwe: advisoryCwes(advisory),
          cvss,
        });
      }
    }
    return response;
  }

  /**
   * `pnpm audit` (POST /-/npm/v1/security/audits[/quick]): npm's full audit report for a dependency
   * tree, from the same advisories as the bulk endpoint, with each affected version's paths in the tree.
   */
  async auditTree(request: AuditTreeRequest, advisoryUrl: (id: string) => string): Promise<AuditReport> {
    const found = new Map<string, Map<string, string[]>>();
    let dependencies = 0;
    let devDependencies = 0;
    const walk = (nodes: Record<string, AuditTreeNode>, parent: string | null) => {
      for (const [name, node] of Object.entries(nodes)) {
        const path = parent === null ? name : `${parent}>${name}`;
        if (node.version !== undefined) {
          const versions = found.get(name) ?? new Map<string, string[]>();
          versions.set(node.version, [...(versions.get(node.version) ?? []), path]);
          found.set(name, versions);
          if (node.dev) devDependencies++;
          else dependencies++;
        }
        if (node.dependencies) walk(node.dependencies, path);
      }
    };
    walk(request.dependencies, null);
    const bulk = await this.auditBulk(Object.fromEntries([...found].map(([name, versions]) => [name, [...versions.keys()]])), advisoryUrl);
    const report: AuditReport = {
      actions: [],
      advisories: {},
      muted: [],
      metadata: { vulnerabilities: { info: 0, low: 0, moderate: 0, high: 0, critical: 0 }, dependencies, devDependencies, optionalDependencies: 0, totalDependencies: dependencies + devDependencies },
    };
    for (const [name, advisories] of Object.entries(bulk)) {
      for (const a of advisories) {
        const findings = [...found.get(name)!].filter(([version]) => versionIsAffected(version, a.vulnerable_versions)).map(([version, paths]) => ({ version, paths }));
        report.advisories[a.id] = {
          ...a,
          github_advisory_id: a.id,
          module_name: name,
          patched_versions: patchedVersions(a.vulnerable_versions),
          cves: [],
          findings,
          recommendation: `Upgrade ${name} to a version outside ${a.vulnerable_versions}`,
        };
        report.metadata.vulnerabilities[a.severity] += findings.reduce((n, f) => n + f.paths.length, 0);
      }
    }
    return report;
  }

  private scopeKey(input: string): string {
    const key = policyScopeKey(input);
    if (key === null) throw badRequest(`"${input}" is not a scope: use @name, name, or * for the registry default`);
    return key;
  }
}

/** What npm's report calls patched: from one `>=a <b` interval, `>=b`; otherwise the complement in words. */
function patchedVersions(vulnerable: string): string {
  const single = /^>=\S+ <(\S+)$/.exec(vulnerable);
  return single ? `>=${single[1]}` : `not ${vulnerable}`;
}
