import type { Diagnostic } from '../errors/diagnostic.js';
import type { AllowEntry, DependencyPolicy } from '../manifest/types.js';
import type { MetadataFormat } from './distribution.js';

/**
 * A resolved allowlist: exactly which global distributions, bare modules and directories a
 * cherry-pick environment sees, and why. Plain, JSON-serialisable data with a deterministic
 * order, so it can be shown in a plan, recorded in state and compared between runs.
 */
export interface ResolvedAllowlist {
  readonly format: 1;
  /** The interpreter it was resolved for: extension ABI and markers depend on it. */
  readonly target: {
    readonly executable: string;
    readonly version: string;
    readonly soabi: string | null;
  };
  readonly dependencies: DependencyPolicy;
  /** The global directories searched, in order. */
  readonly sites: readonly string[];
  /** Sorted by normalised name, then location. */
  readonly distributions: readonly AllowedDistribution[];
  /** Top-level modules no distribution claims (`_cffi_backend…so`), sorted by name, then location. */
  readonly modules: readonly AllowedModule[];
  /** `{path}` entries: whole directories put on the path as they are, sorted. */
  readonly paths: readonly AllowedPath[];
  /** Problems that do not stop the environment, e.g. a declared dependency absent globally. */
  readonly warnings: readonly Diagnostic[];
}

export type InclusionReason =
  /** Named by an allowlist entry (`entry.at` says where). */
  | { readonly kind: 'allowed'; readonly entry: AllowEntry }
  /**
   * Needed by another included item: `via: 'metadata'` from its Requires-Dist / requires.txt
   * (`requirement` is the line), `via: 'dpkg'` from the Depends of its Debian package
   * (`requirement` reads `python3-cryptography → python3-cffi-backend-api-min (provided by …)`).
   */
  | {
      readonly kind: 'dependency';
      readonly of: string;
      readonly via: 'metadata' | 'dpkg';
      readonly requirement: string;
    };

export interface AllowedDistribution {
  readonly name: string;
  readonly normalizedName: string;
  readonly version: string;
  /** The site directory holding it. */
  readonly location: string;
  /** Absolute path of its `.dist-info` / `.egg-info`. */
  readonly metadataDir: string;
  readonly format: MetadataFormat;
  /** Import names it provides. */
  readonly topLevel: readonly string[];
  /**
   * What the overlay links, relative to `location` (POSIX): top-level packages and modules,
   * `-stubs` packages, the metadata directory, and for a namespace shared with distributions
   * that are not allowed, the allowed portions only (`lazr/uri`).
   */
  readonly expose: readonly string[];
  /** Debian packages owning it (empty off dpkg systems). */
  readonly debPackages: readonly string[];
  readonly reasons: readonly InclusionReason[];
}

export interface AllowedModule {
  /** The import name. */
  readonly name: string;
  readonly location: string;
  readonly expose: readonly string[];
  readonly debPackages: readonly string[];
  readonly reasons: readonly InclusionReason[];
}

export interface AllowedPath {
  /** Absolute directory. */
  readonly path: string;
  readonly reasons: readonly InclusionReason[];
}

/** Every exposure of an allowlist as (relative path in the overlay, absolute target), sorted by path. */
export function overlayLinks(allowlist: ResolvedAllowlist): Array<{ path: string; target: string }> {
  const out: Array<{ path: string; target: string }> = [];
  for (const item of [...allowlist.distributions, ...allowlist.modules]) {
    for (const e of item.expose) out.push({ path: e, target: `${item.location}/${e}` });
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** One line per item for humans: `PyYAML 6.0 (allowed)`, `wadllib 1.3.6 (dependency of lazr.restfulclient)`. */
export function describeAllowlist(allowlist: ResolvedAllowlist): string[] {
  const why = (reasons: readonly InclusionReason[]): string => {
    const parts = new Set<string>();
    for (const r of reasons) parts.add(r.kind === 'allowed' ? 'allowed' : `dependency of ${r.of}`);
    return [...parts].join(', ');
  };
  return [
    ...allowlist.distributions.map((d) => `${d.name} ${d.version} (${why(d.reasons)}) from ${d.location}`),
    ...allowlist.modules.map((m) => `module ${m.name} (${why(m.reasons)}) from ${m.location}`),
    ...allowlist.paths.map((p) => `path ${p.path} (allowed)`),
  ];
}
