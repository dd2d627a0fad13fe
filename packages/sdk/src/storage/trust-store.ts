import type { TopLevelRole, TrustedMetadataStore } from '@wharf/core';
import { getText, setText, type ByteStore } from './store.js';

/** TUF metadata the client trusts, kept in any ByteStore under `trust/`. */
export function trustStoreOn(store: ByteStore): TrustedMetadataStore {
  return {
    load: (role: TopLevelRole) => getText(store, `trust/${role}.json`),
    save: (role: TopLevelRole, text: string) => setText(store, `trust/${role}.json`, text),
    remove: (role: TopLevelRole) => store.delete(`trust/${role}.json`),
  };
}
