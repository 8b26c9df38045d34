import type { PythonInfo } from './interpreter.js';

/**
 * The probe's JSON and the cache file are untrusted input: a `python` that is not CPython's,
 * a `.pth` printing to stdout under Python 2, or a hand-edited cache must not flow into
 * layouts as a half-filled object. Every field of `PythonInfo` is checked here.
 */

type Check = (v: unknown) => boolean;

const isString: Check = (v) => typeof v === 'string';
const isAbsolute: Check = (v) => typeof v === 'string' && v.startsWith('/');
const isRelative: Check = (v) => typeof v === 'string' && v !== '' && !v.startsWith('/');
const isNullableString: Check = (v) => v === null || typeof v === 'string';
const isStringArray: Check = (v) => Array.isArray(v) && v.every((x) => typeof x === 'string');
const isCount: Check = (v) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isVersionInfo: Check = (v) => Array.isArray(v) && v.length === 3 && v.every(isCount);
const isBoolean: Check = (v) => typeof v === 'boolean';
const isPointerBits: Check = (v) => v === 32 || v === 64;
const isVersion: Check = (v) => typeof v === 'string' && /^\d+\.\d+/.test(v);

const isWheelPlatform: Check = (v) => {
  if (v === undefined) return true;
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return isNullableString(r['platform']) && isNullableString(r['glibc']) && isBoolean(r['gilDisabled']) && isCount(r['maxUnicode']);
};

const SCHEME_FIELDS = ['purelib', 'platlib', 'scripts', 'include'] as const;
const isScheme: Check = (v) =>
  typeof v === 'object' && v !== null && SCHEME_FIELDS.every((k) => isRelative((v as Record<string, unknown>)[k]));

const FIELDS = {
  executable: isAbsolute,
  version: isVersion,
  versionInfo: isVersionInfo,
  implementation: isString,
  prefix: isAbsolute,
  basePrefix: isAbsolute,
  execPrefix: isAbsolute,
  baseExecPrefix: isAbsolute,
  stdlib: isAbsolute,
  platstdlib: isAbsolute,
  venvScheme: isScheme,
  globalSitePackages: isStringArray,
  userSite: isNullableString,
  sysPath: isStringArray,
  soabi: isNullableString,
  extensionSuffixes: isStringArray,
  cacheTag: isNullableString,
  platform: isString,
  pointerBits: isPointerBits,
  supportsVenv: isBoolean,
  wheelPlatform: isWheelPlatform,
} satisfies Record<keyof PythonInfo, Check>;

/** The `PythonInfo` in `value`, or a sentence saying which field is wrong. */
export function checkPythonInfo(value: unknown): { ok: true; info: PythonInfo } | { ok: false; problem: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, problem: 'not a JSON object' };
  }
  const record = value as Record<string, unknown>;
  for (const [key, check] of Object.entries(FIELDS)) {
    if (!check(record[key])) {
      return { ok: false, problem: `field "${key}" is ${key in record ? `invalid: ${JSON.stringify(record[key])}` : 'missing'}` };
    }
  }
  // Keep only known fields: a cache written by a newer envbuild may carry more.
  const info = Object.fromEntries(Object.keys(FIELDS).filter((k) => record[k] !== undefined).map((k) => [k, record[k]])) as unknown as PythonInfo;
  return { ok: true, info };
}

/**
 * Reads the probe's stdout. The JSON object is the last line: anything printed before it (by a
 * `.pth` file that Python 2's `site` runs, or by a wrapper script) is ignored.
 */
export function parseProbeOutput(stdout: string): { ok: true; info: PythonInfo } | { ok: false; problem: string } {
  const line = stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('{'))
    .pop();
  if (line === undefined) {
    const shown = stdout.trim().slice(0, 200);
    return { ok: false, problem: shown === '' ? 'it printed nothing' : `unexpected output: ${JSON.stringify(shown)}` };
  }
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, problem: `unexpected output: ${JSON.stringify(line.slice(0, 200))}` };
  }
  const checked = checkPythonInfo(value);
  return checked.ok ? checked : { ok: false, problem: `the probe's answer is malformed: ${checked.problem}` };
}
