// Browser-safe entry: web APIs only (fetch, WebCrypto, streams, OPFS). Node adapters live in ./node.
