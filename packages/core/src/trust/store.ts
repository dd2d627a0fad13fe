import type { TopLevelRole } from './metadata.js';

/**
 * Where a client keeps the metadata it trusts between runs (files for the CLI, IndexedDB or
 * localStorage in a browser). Values are the raw JSON texts as verified.
 */
export interface TrustedMetadataStore {
  load(role: TopLevelRole): Promise<string | null>;
  save(role: TopLevelRole, text: string): Promise<void>;
  remove(role: TopLevelRole): Promise<void>;
}

export class MemoryTrustedMetadataStore implements TrustedMetadataStore {
  private readonly texts = new Map<TopLevelRole, string>();
  async load(role: TopLevelRole): Promise<string | null> {
    return this.texts.get(role) ?? null;
  }
  async save(role: TopLevelRole, text: string): Promise<void> {
    this.texts.set(role, text);
  }
  async remove(role: TopLevelRole): Promise<void> {
    this.texts.delete(role);
  }
}
