/**
 * The wheel tags an interpreter accepts, in preference order, as `packaging.tags.sys_tags()`
 * computes them (pip and uv do the same): a wheel is installable when one of its tags is in
 * this list. Computed from the probe (`PythonInfo`), so it spawns no Python.
 */
import type { PythonInfo, WheelPlatform } from '../python/interpreter.js';

/** `packaging._manylinux`: the glibc versions with a legacy alias (PEP 513, 571, 599). */
const LEGACY_MANYLINUX: Readonly<Record<string, string>> = { '2_17': 'manylinux2014', '2_12': 'manylinux2010', '2_5': 'manylinux1' };

/** Inputs of the computation, separate from the probe so that tests can state them directly. */
export interface TagInputs {
  readonly implementation: string;
  readonly versionInfo: readonly [number, number, number];
  readonly soabi: string | null;
  readonly wheelPlatform: WheelPlatform | undefined;
  /** The musl version (`1.2`) on musl systems; the probe does not report it yet. */
  readonly musl?: string | null;
}

export function supportedTags(info: PythonInfo | TagInputs): string[] {
  const platforms = platformTags(info.wheelPlatform?.platform ?? null, info.wheelPlatform?.glibc ?? null, 'musl' in info ? info.musl ?? null : null);
  const [major, minor] = info.versionInfo;
  const tags =
    info.implementation === 'cpython' ? cpythonTags(major, minor, cpythonAbis(info), platforms, info.wheelPlatform?.gilDisabled ?? false) : genericTags(info, platforms);
  const interpreter = `${interpreterPrefix(info.implementation)}${major}${minor}`;
  tags.push(...compatibleTags(major, minor, interpreter, platforms));
  return [...new Set(tags)];
}

function interpreterPrefix(implementation: string): string {
  const short: Record<string, string> = { cpython: 'cp', pypy: 'pp', ironpython: 'ip', jython: 'jy' };
  return short[implementation] ?? implementation;
}

/**
 * The ABI tags of a CPython build, read from its SOABI (`cpython-311-…` → `cp311`,
 * `cpython-37m-…` → `cp37m`, `cpython-313t-…` → `cp313t`). Python 2 has no SOABI: `cp27mu` on
 * wide-unicode builds, `cp27m` otherwise (pymalloc is the default).
 */
function cpythonAbis(info: PythonInfo | TagInputs): string[] {
  const [major, minor] = info.versionInfo;
  const flags = info.soabi?.split('-')[1];
  if (flags !== undefined && /^\d+[a-z]*$/.test(flags)) return [`cp${flags}`];
  if (major === 2) return [(info.wheelPlatform?.maxUnicode ?? 0) > 0xffff ? `cp${major}${minor}mu` : `cp${major}${minor}m`];
  return [`cp${major}${minor}${info.wheelPlatform?.gilDisabled ? 't' : ''}`];
}

function cpythonTags(major: number, minor: number, abis: readonly string[], platforms: readonly string[], gilDisabled: boolean): string[] {
  const interpreter = `cp${major}${minor}`;
  const out: string[] = [];
  for (const abi of abis) for (const p of platforms) out.push(`${interpreter}-${abi}-${p}`);
  // abi3 (PEP 384) is for Python 3.2+ with the GIL; free-threaded builds cannot load it.
  const abi3 = major === 3 && minor >= 2 && !gilDisabled;
  if (abi3) for (const p of platforms) out.push(`${interpreter}-abi3-${p}`);
  for (const p of platforms) out.push(`${interpreter}-none-${p}`);
  if (abi3) for (let m = minor - 1; m >= 2; m--) for (const p of platforms) out.push(`cp${major}${m}-abi3-${p}`);
  return out;
}

/** PyPy and others: `pp310-pypy310_pp73-<platform>`, then `none`. */
function genericTags(info: PythonInfo | TagInputs, platforms: readonly string[]): string[] {
  const [major, minor] = info.versionInfo;
  const interpreter = `${interpreterPrefix(info.implementation)}${major}${minor}`;
  const parts = info.soabi?.split('-') ?? [];
  const abis = parts.length >= 2 ? [`${parts[0]}_${parts[1]}`.replace(/[.-]/g, '_')] : [];
  const out: string[] = [];
  for (const abi of [...abis, 'none']) for (const p of platforms) out.push(`${interpreter}-${abi}-${p}`);
  return out;
}

/** `py311`, `py310`, … `py30`, `py3`: what pure or version-tagged wheels use. */
function pyVersions(major: number, minor: number): string[] {
  const out = [`py${major}${minor}`, `py${major}`];
  for (let m = minor - 1; m >= 0; m--) out.push(`py${major}${m}`);
  return out;
}

function compatibleTags(major: number, minor: number, interpreter: string, platforms: readonly string[]): string[] {
  const versions = pyVersions(major, minor);
  const out: string[] = [];
  for (const v of versions) for (const p of platforms) out.push(`${v}-none-${p}`);
  out.push(`${interpreter}-none-any`);
  for (const v of versions) out.push(`${v}-none-any`);
  return out;
}

/**
 * Platform tags, most specific first: `manylinux_2_<N>_<arch>` from the glibc version down
 * (with the legacy `manylinux2014/2010/1` aliases beside 2_17/2_12/2_5), `musllinux_1_<N>`,
 * then `linux_<arch>`. Like `packaging`, x86_64 and i686 go down to glibc 2.5, others to 2.17.
 */
export function platformTags(platform: string | null, glibc: string | null, musl: string | null): string[] {
  if (platform === null) return [];
  const plain = platform.replace(/[-.]/g, '_');
  const linux = /^linux_(.+)$/.exec(plain);
  if (linux === null) return [plain];
  const arch = linux[1] ?? '';
  const out: string[] = [];
  const g = glibc === null ? null : /^2\.(\d+)/.exec(glibc);
  if (g !== null) {
    const oldest = arch === 'x86_64' || arch === 'i686' ? 5 : 17;
    for (let m = Number(g[1]); m >= oldest; m--) {
      out.push(`manylinux_2_${m}_${arch}`);
      const legacy = LEGACY_MANYLINUX[`2_${m}`];
      if (legacy !== undefined) out.push(`${legacy}_${arch}`);
    }
  }
  const mu = musl === null ? null : /^1\.(\d+)/.exec(musl);
  if (mu !== null) for (let m = Number(mu[1]); m >= 0; m--) out.push(`musllinux_1_${m}_${arch}`);
  out.push(`linux_${arch}`);
  return out;
}
