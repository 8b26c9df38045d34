/**
 * Cherry-pick isolation: discover the global packages an interpreter offers, resolve a
 * manifest's allowlist against them, render the overlay that exposes exactly those, and audit
 * an environment's isolation afterwards.
 */
export {
  describeAllowlist,
  overlayLinks,
  type AllowedDistribution,
  type AllowedModule,
  type AllowedPath,
  type InclusionReason,
  type ResolvedAllowlist,
} from './allowlist.js';
export {
  auditEnvironment,
  runAuditScript,
  type AuditFinding,
  type AuditOptions,
  type AuditReport,
  type DistributionReport,
  type ModuleReport,
  type NameClass,
  type PathClass,
  type PathEntryReport,
} from './audit.js';
export { AUDIT_SCRIPT, type AuditScriptOutput } from './audit-script.js';
export {
  discoverGlobals,
  GlobalPackages,
  listSiteDirectories,
  type DiscoverOptions,
  type FileList,
} from './discover-globals.js';
export {
  importNameOf,
  normalizeName,
  type DistributionRecord,
  type MetadataFormat,
  type SiteDirectory,
} from './distribution.js';
export { DpkgDatabase, type DpkgDependency } from './dpkg.js';
export { abiSuffixOf, extensionLoads, foreignExtensions } from './extension-abi.js';
export { evaluateMarker, markerEnvironment, parseMarker, type MarkerEnvironment } from './markers.js';
export { OVERLAY_DIR, renderOverlay, type OverlayContext } from './overlay.js';
export { parseRequirement, parseRequiresTxt, requirementApplies, type Requirement } from './requirements.js';
export { resolveAllowlist, type ResolveOptions } from './resolve-allowlist.js';
export { OVERLAY_PTH_NAME, renderSitePth, type SitePthInput } from './site-pth.js';
