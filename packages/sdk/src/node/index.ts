// Node-only adapters (filesystem caches and install directories).
