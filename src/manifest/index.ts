export { loadManifest, loadManifestWithProblems, type LoadManifestOptions } from './load.js';
export { formatKeyPath } from './source-map.js';
export { MANIFEST_SCHEMA_URL } from './schema.js';
export type * from './types.js';
