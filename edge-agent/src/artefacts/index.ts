// Public API of the artefact cache (the edge's function repository).
export { ArtefactCache, type ArtefactCacheOptions, type Ensured, type GcResult, type ImagePruner, type Usage } from './cache.js';
export type { Fetcher, FetchResponse } from './download.js';
export { isDigestHex, sha256Hex, toHex } from './digest.js';
export { ArtefactHolders, type Holding } from './holders.js';
export { fetchRefs } from './fetch-refs.js';
