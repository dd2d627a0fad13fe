import { dssePae, targetPath, type DsseEnvelope, type KeyPairFile } from '@wharf/core';
import { signNative } from './native-signer.js';

export interface ProvenanceInput {
  name: string;
  version: string;
  /** Hex sha512 of the tarball. */
  sha512: string;
  files: Record<string, string>;
  publisher: string;
  tokenId: string | null;
  repository: string | null;
  commit: string | null;
  developerKeyid: string | null;
  builderId: string;
  at: string;
}

export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

/**
 * An in-toto v1 statement with a SLSA v1 provenance predicate describing the publish as the
 * registry saw it, wrapped in a DSSE envelope signed by a registry (targets) key.
 */
export function provenanceEnvelope(input: ProvenanceInput, key: KeyPairFile): DsseEnvelope {
  const statement = {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: targetPath(input.name, input.version), digest: { sha512: input.sha512 } }],
    predicateType: 'https://slsa.dev/provenance/v1',
    predicate: {
      buildDefinition: {
        buildType: 'https://wharf.dev/publish/v1',
        externalParameters: {
          package: input.name,
          version: input.version,
          publisher: input.publisher,
          tokenId: input.tokenId,
          ...(input.repository ? { repository: input.repository } : {}),
          ...(input.commit ? { commit: input.commit } : {}),
        },
        internalParameters: { developerSignature: input.developerKeyid ? { keyid: input.developerKeyid } : null },
        resolvedDependencies: Object.entries(input.files).map(([path, sri]) => ({
          uri: `file:package/${path}`,
          digest: { sha512: Buffer.from(sri.slice('sha512-'.length), 'base64').toString('hex') },
        })),
      },
      runDetails: { builder: { id: input.builderId }, metadata: { invocationId: `${input.name}@${input.version}`, startedOn: input.at, finishedOn: input.at } },
    },
  };
  const body = Buffer.from(JSON.stringify(statement), 'utf8');
  return {
    payloadType: IN_TOTO_PAYLOAD_TYPE,
    payload: body.toString('base64'),
    signatures: [{ keyid: key.keyid, sig: signNative(key, dssePae(IN_TOTO_PAYLOAD_TYPE, body)) }],
  };
}

/** `repository` of package.json as a URL string, when given. */
export function repositoryOf(packageJson: Record<string, unknown>): string | null {
  const repo = packageJson.repository;
  if (typeof repo === 'string') return repo;
  if (repo && typeof repo === 'object' && typeof (repo as { url?: unknown }).url === 'string') return (repo as { url: string }).url;
  return null;
}
