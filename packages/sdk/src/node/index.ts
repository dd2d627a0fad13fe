// Node-only adapters (filesystem caches and install directories).
export { FsStore } from './fs-store.js';
