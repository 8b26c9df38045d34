/**
 * What a lock pins about the machine, read from what envbuild already knows (the probed
 * interpreter, the resolved allowlist): no Python is started for it.
 */
import os from 'node:os';
import path from 'node:path';
import type { ResolvedAllowlist, InclusionReason } from '../isolation/allowlist.js';
import type { PythonInfo } from '../python/interpreter.js';
import type { LockGlobal, LockInterpreter } from './model.js';
import { portablePath } from './paths.js';

const IMPLEMENTATION_TAG: Readonly<Record<string, string>> = { cpython: 'cp', pypy: 'pp' };

/**
 * The interpreter's most specific wheel tag, as `packaging.tags.sys_tags()` yields first:
 * `cp311-cp311-linux_x86_64` (the ABI from SOABI, `cpython-311-x86_64-linux-gnu` → `cp311`).
 */
export function interpreterTag(python: PythonInfo): string {
  const [major, minor] = python.versionInfo;
  const impl = `${IMPLEMENTATION_TAG[python.implementation] ?? python.implementation}${major}${minor}`;
  const soabi = python.soabi ?? '';
  const abi = /^cpython-(\d+[a-z]*)/.exec(soabi)?.[1];
  const platform = `${python.platform.replace(/[0-9]+$/, '')}_${machineOf(python)}`;
  return `${impl}-${abi ? `cp${abi}` : soabi === '' ? 'none' : soabi.replace(/[-.]/g, '_')}-${platform}`;
}

/** The machine the interpreter was built for: from SOABI where it says (`…-x86_64-linux-gnu`), else this host's. */
function machineOf(python: PythonInfo): string {
  const fromAbi = /^[a-z]+-\d+[a-z]*-([a-z0-9_]+)-/.exec(python.soabi ?? '')?.[1];
  if (fromAbi) return fromAbi;
  const host = os.machine();
  return python.pointerBits === 32 && host === 'x86_64' ? 'i686' : host;
}

/** Only an executable that is the same on every machine is recorded (`/usr/bin/python3.11`). */
function portableExecutable(file: string): string | undefined {
  return /^\/usr\/(local\/)?bin\/python[0-9.]*$/.test(file) ? file : undefined;
}

export function lockInterpreter(python: PythonInfo): LockInterpreter {
  const executable = portableExecutable(python.executable);
  return {
    implementation: python.implementation,
    version: python.version,
    soabi: python.soabi,
    platform: python.platform,
    tag: interpreterTag(python),
    ...(executable ? { executable } : {}),
  };
}

function why(reasons: readonly InclusionReason[], manifestDir: string): string {
  const out = new Set<string>();
  for (const r of reasons) {
    if (r.kind === 'allowed') {
      const at = r.entry.at;
      out.add(`allowed (${path.basename(at.file)}:${at.line})`);
    } else out.add(`dependency of ${r.of} (${r.requirement})`);
  }
  void manifestDir;
  return [...out].join('; ');
}

/** The allowlist's distributions as locked: name, version, location and why. */
export function lockGlobals(allowlist: ResolvedAllowlist | undefined, manifestDir: string): LockGlobal[] {
  if (!allowlist) return [];
  return allowlist.distributions.map((d) => ({
    name: d.name,
    version: d.version,
    location: portablePath(d.location, manifestDir),
    reason: why(d.reasons, manifestDir),
  }));
}
