import { createServer } from 'node:http';
import Fastify, { LogController, type FastifyError, type FastifyInstance } from 'fastify';
import cors from '@fastify/cors';
import { databaseTarget, type WharfConfig } from './config.js';
import { HttpError } from './errors.js';
import { openMetadataStore, type MetadataStore } from './storage/metadata-store.js';
import { FsBlobStore, blobsDir, type BlobStore } from './storage/blob-store.js';
import { openChangeFeed, type ChangeFeed } from './storage/change-feed.js';
import { AuthService } from './auth/auth-service.js';
import { installAuthentication } from './auth/authenticate.js';
import { authRoutes } from './auth/routes.js';
import { RegistryService } from './registry/registry-service.js';
import { NpmSearch } from './registry/npm-search.js';
import { DeltaRepository } from './delta/delta-repository.js';
import { DeltaService } from './delta/delta-service.js';
import { deltaRoutes } from './delta/routes.js';
import { registryRoutes } from './registry/routes.js';
import { npmAccessRoutes } from './registry/npm-access-routes.js';
import { ApiCatalog } from './docs/api-catalog.js';
import { docsRoutes } from './docs/routes.js';
import { installMarketplace, type Marketplace } from './marketplace/install.js';
import { setupTrust, trustKeysDir, trustRoutes, type TrustService } from './trust/index.js';
import type { PublishRecords } from './trust/publish-records.js';
import { NpmRegistrySigner } from './registry/npm-signer.js';
import { guardedFetch } from './net/guarded-fetch.js';
import { createMetrics, type Metrics } from './ops/metrics.js';
import { installRequestLog } from './ops/request-log.js';
import { opsRoutes } from './ops/routes.js';
import { SnapshotService } from './snapshots/snapshot-service.js';
import { snapshotRoutes } from './snapshots/routes.js';
import { ReleaseService } from './release/release-service.js';
import { releaseRoutes } from './release/gate-routes.js';
import { RolloutService } from './release/rollout-service.js';
import { rolloutRoutes } from './release/rollout-routes.js';
import { RoleService } from './users/role-service.js';
import { accessRoutes } from './users/routes.js';
import { sessionRoutes } from './auth/session-routes.js';
import { consoleRoutes, defaultConsoleDir } from './console/routes.js';
import { SetupService } from './setup/setup-service.js';
import { setupRoutes } from './setup/routes.js';
import { SupplyChainRepository } from './supply-chain/supply-chain-repository.js';
import { SupplyChainService } from './supply-chain/supply-chain-service.js';
import { supplyChainRoutes } from './supply-chain/routes.js';
import { AuditLog } from './audit/audit-log.js';
import { auditRoutes } from './audit/routes.js';
import { EventBus } from './events/event-bus.js';
import { eventsRoutes } from './events/routes.js';
import { FlagService } from './flags/flag-service.js';
import { flagRoutes } from './flags/routes.js';
import { ofrepRoutes } from './flags/ofrep-routes.js';
import { CatalogRepository, CatalogService, catalogRoutes } from './catalog/index.js';
import { SourceProber, SourceService, sourceRoutes } from './sources/index.js';
import { CdnPurger } from './cdn/index.js';
import { registerChangeSteps, registerReplicaSteps } from './change-steps.js';
import { DomainEvents, type PublishedVersion } from './events/domain-events.js';
import { jsonDeeperThan, jsonHasNul, MAX_JSON_DEPTH } from './http.js';

/** Everything a running server holds; tests and the CLI reach services through it. */
export interface Wharf {
  app: FastifyInstance;
  config: WharfConfig;
  store: MetadataStore;
  blobs: BlobStore;
  changes: ChangeFeed;
  /** Change notices for every replica's subscribers and SSE clients (GET /events). */
  events: EventBus;
  /** Deltas between versions, built after each publish. */
  deltas: DeltaService;
  /** The steps a change of a package or of signed metadata sets off, in order (change-steps.ts). */
  domainEvents: DomainEvents;
  /** The feature flag set (Unleash format, the four Wharf states, OFREP). */
  flags: FlagService;
  metrics: Metrics;
  auth: AuthService;
  registry: RegistryService;
  /** Listings, reviews, moderation, search, opt-in analytics and GDPR export/erasure. */
  marketplace: Marketplace;
  /** Config snapshots: draft → preview → published versions. */
  snapshots: SnapshotService;
  /** The version gate's policy (GET /meta/release). */
  release: ReleaseService;
  /** Staged rollouts on channels, with automatic rollback. */
  rollouts: RolloutService;
  /** Signed catalog metadata (TUF), revocation, root rotation. */
  trust: TrustService;
  /** What trust records of each publish: signature check, countersignature, provenance; and their repair. */
  publishRecords: PublishRecords;
  /** The tamper-evident log every control-plane change is recorded in. */
  audit: AuditLog;
  /** The signed catalog host apps read (`/catalog.json`). */
  catalog: CatalogService;
  /** Where the fleet reads plugins from (marketplace_source), fleet counts and the server's probes. */
  sources: SourceService;
  /** Probes the marketplace sources every minute, through the guarded fetch. */
  prober: SourceProber;
  /** Purges CDN caches after changes (config `purge`). */
  purger: CdnPurger;
  /** First run: the one-time token for creating the first admin account. */
  setup: SetupService;
  close(): Promise<void>;
}

/** Opens storage, wires the services and registers one Fastify plugin per capability. Does not listen. */
export async function createWharf(config: WharfConfig, options: { logStream?: { write(line: string): void } } = {}): Promise<Wharf> {
  const target = databaseTarget(config);
  const store = await openMetadataStore(target);
  const blobs = await new FsBlobStore(blobsDir(config.dataDir)).init();
  const changes = await openChangeFeed(target);
  const events = await new EventBus(changes).init();
  const metrics = createMetrics();
  const auth = new AuthService(store.auth, {
    openRegistration: config.openRegistration,
    adminToken: config.adminToken,
    passwordFailuresPerAddress: config.loginRateLimit,
    passwordFailuresPerUser: config.passwordFailuresPerUser,
  });
  await auth.init();
  const audit = new AuditLog(store.db, store.dialect);
  // Steps that fail after a change is committed are logged here and repaired by their owner later.
  const domainEvents = new DomainEvents((err, step, event, payload) => {
    const about = event === 'version.published' ? { package: (payload as PublishedVersion).name, version: (payload as PublishedVersion).version } : (payload as object);
    app.log.error({ err, step, event, ...about }, `the step "${step}" after ${event} failed; the change stands and the step is repaired later`);
  });
  const snapshots = new SnapshotService(store.db, audit, domainEvents);
  const release = new ReleaseService(store.db, audit, domainEvents);
  const flags = new FlagService(store.db, audit, domainEvents);
  const npmSigner = await NpmRegistrySigner.open(trustKeysDir(config, process.env), process.env.WHARF_NPM_SIGNING_KEY);
  const registry = new RegistryService(store, blobs, changes, metrics, {
      maxTarballBytes: config.maxTarballBytes,
      maxUnpackedBytes: config.maxUnpackedBytes,
      maxFiles: config.maxPackageFiles,
      maxCompressionRatio: config.maxCompressionRatio,
    }, npmSigner, domainEvents);
  const rollouts = new RolloutService(store, registry, audit, domainEvents);
  const deltas = new DeltaService(new DeltaRepository(store.db), registry, blobs, domainEvents, {
    fromVersions: config.deltaFromVersions,
    onError: (err, name, version) => app.log.error({ err, package: name, version }, 'building deltas failed; the full package is served'),
  });
  const sources = new SourceService(store.db, audit, domainEvents);
  const setup = new SetupService(store.db, auth, audit);
  const supplyChain = new SupplyChainService(store.db, new SupplyChainRepository(store.db), registry, audit);

  const app = Fastify({
    logger: { level: config.logLevel, ...(options.logStream ? { stream: options.logStream } : {}) },
    // Fastify's two lines per request are replaced by one of ours (ops/request-log.ts): the route, the caller, no credentials.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: config.trustProxy,
    // Scoped names reach 214 characters, more once percent-encoded.
    routerOptions: { maxParamLength: 1024 },
    rewriteUrl: (req) => decodeScopeSlash(req.url ?? '/'),
    bodyLimit: 1024 * 1024,
    // Node enforces both limits on a timer (connectionsCheckingInterval, 30 s by default): checking at
    // a quarter of the shorter one closes a slow client within 1.25 times its limit.
    serverFactory: (handler) =>
      createServer(
        {
          requestTimeout: config.requestTimeoutMs,
          headersTimeout: Math.min(config.headersTimeoutMs, config.requestTimeoutMs),
          connectionsCheckingInterval: Math.max(50, Math.min(30_000, config.headersTimeoutMs / 4, config.requestTimeoutMs / 4)),
        },
        handler,
      ),
  });
  installErrorHandling(app);
  refuseNulInUrls(app);
  if (config.corsOrigins.length > 0) {
    await app.register(cors, {
      origin: config.corsOrigins.includes('*') ? '*' : config.corsOrigins,
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      // What the SDK reads: validators for 304 polling, back-off hints, the version gate's answer.
      exposedHeaders: ['etag', 'retry-after', 'content-length'],
      maxAge: 600,
    });
  }
  installJsonParser(app);
  installRequestMetrics(app, metrics);
  installRequestLog(app, config.requestLog);
  installAuthentication(app, auth);
  const trust = await setupTrust(config, store, registry, audit, domainEvents, (err) => app.log.error({ err }, 'trust metadata re-signing failed'));
  app.addHook('onClose', async () => trust.stop());
  const purger = new CdnPurger({ targets: config.purge, onError: (err, target) => app.log.warn({ err, target: target.url }, 'CDN purge failed') });
  const signedCatalog = new CatalogService(
    new CatalogRepository(store.db),
    { trust: trust.service, flags: async () => (await flags.snapshot()).served, events: domainEvents },
  );
  app.addHook('onClose', async () => signedCatalog.stop());

  // Every documented route registers through the catalog, which builds /docs/openapi.json from their schemas.
  const apiCatalog = new ApiCatalog();
  await app.register(opsRoutes, { store, metrics });
  await app.register(eventsRoutes, { events, heartbeatMs: 15_000 });
  await app.register(flagRoutes, { flags, catalog: apiCatalog });
  await app.register(ofrepRoutes, { flags, catalog: apiCatalog });
  await app.register(authRoutes, { auth, loginRateLimit: config.loginRateLimit });
  await app.register(auditRoutes, { audit, catalog: apiCatalog });
  await app.register(accessRoutes, { roles: new RoleService(store.db, audit), catalog: apiCatalog });
  await app.register(sessionRoutes, { auth, catalog: apiCatalog, loginRateLimit: config.loginRateLimit });
  await app.register(consoleRoutes, { dir: config.consoleDir ?? defaultConsoleDir() });
  await app.register(setupRoutes, { setup, catalog: apiCatalog, rateLimit: config.loginRateLimit });
  await app.register(snapshotRoutes, { snapshots, catalog: apiCatalog });
  await app.register(releaseRoutes, { release, snapshots, catalog: apiCatalog });
  await app.register(rolloutRoutes, { rollouts, reportRateLimit: config.reportRateLimit, catalog: apiCatalog });
  await app.register(registryRoutes, { registry, search: new NpmSearch(store, registry), metrics, publicUrl: config.publicUrl, maxTarballBytes: config.maxTarballBytes, signer: npmSigner });
  await app.register(npmAccessRoutes, { registry });
  await app.register(deltaRoutes, { deltas });
  const marketplace = await installMarketplace(app, { store, registry, audit, catalog: apiCatalog });
  app.addHook('onClose', async () => marketplace.stop());
  app.addHook('onClose', async () => deltas.stop());
  registerChangeSteps(domainEvents, { bus: events, supplyChain, trust: trust.service, records: trust.records, marketplace, purger, catalog: signedCatalog, deltas });
  registerReplicaSteps({ changes, bus: events, catalog: signedCatalog, marketplace, flags, sources });
  await app.register(docsRoutes, { catalog: apiCatalog, version: '0.1.0' });
  await app.register(supplyChainRoutes, { supplyChain, publicUrl: config.publicUrl, catalog: apiCatalog });
  app.addHook('onClose', async () => supplyChain.close());
  await app.register(trustRoutes, { trust: trust.service, keys: trust.keys, records: trust.records, catalog: apiCatalog });
  await app.register(catalogRoutes, { catalog: signedCatalog });
  const prober = new SourceProber({ sources, fetch: guardedFetch({ allow: config.fetchAllowList }) });
  await app.register(sourceRoutes, { sources, prober, catalog: apiCatalog });
  prober.start(60_000);
  app.addHook('onClose', async () => prober.stop());
  // Versions published before the registry signed for npm (or under a replaced key) get a stored signature.
  const signing = new AbortController();
  const signingOlder = registry.signUnsignedVersions(signing.signal).then(
    (n) => n > 0 && app.log.info(`stored npm registry signatures for ${n} older versions`),
    (err) => signing.signal.aborted || app.log.error({ err }, 'signing older versions for npm failed; they are signed when served'),
  );
  app.addHook('onClose', async () => {
    signing.abort();
    await signingOlder;
  });

  return {
    app,
    config,
    store,
    blobs,
    changes,
    events,
    domainEvents,
    deltas,
    flags,
    metrics,
    auth,
    registry,
    marketplace,
    trust: trust.service,
    publishRecords: trust.records,
    audit,
    catalog: signedCatalog,
    sources,
    prober,
    purger,
    setup,
    snapshots,
    release,
    rollouts,
    async close() {
      await app.close();
      await changes.close();
      await store.close();
    },
  };
}

/**
 * npm sends scoped names with the slash encoded (`/@scope%2fname`); routing on the decoded form means
 * one route serves both spellings, and `/@scope%2fname/<version>` cannot be mistaken for another path.
 */
export function decodeScopeSlash(url: string): string {
  return url.replace(/^((?:\/-\/package)?\/@[^/%?]+)%2f/i, '$1/');
}

/** Every error leaves as `{ error }` JSON; 5xx details stay in the log. */
function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | HttpError, request, reply) => {
    if (err instanceof HttpError) return reply.headers(err.headers).code(err.statusCode).send({ error: err.message });
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const message = err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? `request body is too large (limit ${request.routeOptions.bodyLimit ?? 'default'} bytes)` : err.message;
      return reply.code(status).send({ error: message });
    }
    request.log.error({ err, url: request.url, method: request.method }, 'request failed');
    return reply.code(500).send({ error: 'internal server error' });
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ error: `not found: ${request.method} ${request.url.split('?')[0]}` }));
}

/**
 * Names, keys, filters and fields never hold a NUL character, and PostgreSQL cannot store one: a URL
 * with `%00` is refused here, a JSON body with `\u0000` by the parser, with one answer on both backends.
 */
function refuseNulInUrls(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    if (request.url.includes('%00')) throw new HttpError(400, 'the URL contains a NUL character (%00), which no name or parameter accepts');
  });
}

/** JSON bodies, where an empty body (npm sends some bodiless DELETEs as JSON) is simply no body. */
function installJsonParser(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    if (body === '') return done(null, undefined);
    if (jsonHasNul(body as string)) return done(new HttpError(400, 'request body contains a NUL character (\\u0000), which no field accepts'), undefined);
    if (jsonDeeperThan(body as string, MAX_JSON_DEPTH)) return done(new HttpError(400, `request body nests arrays and objects more than ${MAX_JSON_DEPTH} deep`), undefined);
    try {
      done(null, JSON.parse(body as string));
    } catch (err) {
      done(new HttpError(400, `request body is not valid JSON: ${(err as Error).message}`), undefined);
    }
  });
}

function installRequestMetrics(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ method: request.method, route, status: reply.statusCode });
    metrics.latency.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });
}
