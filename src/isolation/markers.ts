import os from 'node:os';
import { satisfies, validRange, valid } from '@renovatebot/pep440';
import type { PythonInfo } from '../python/interpreter.js';
import { majorMinor } from '../python/interpreter.js';

/**
 * PEP 508 environment markers, evaluated for the TARGET interpreter (the one the environment
 * is built on), never for whatever Python happens to run envbuild.
 */
export interface MarkerEnvironment {
  readonly python_version: string;
  readonly python_full_version: string;
  readonly implementation_name: string;
  readonly implementation_version: string;
  readonly platform_python_implementation: string;
  readonly os_name: string;
  readonly sys_platform: string;
  readonly platform_system: string;
  readonly platform_machine: string;
  readonly platform_release: string;
  readonly platform_version: string;
  /** Always empty: extras are never requested for allowlisted distributions. */
  readonly extra: string;
}

export type MarkerVariable = keyof MarkerEnvironment;

const LEGACY_NAMES: Readonly<Record<string, MarkerVariable>> = {
  'os.name': 'os_name',
  'sys.platform': 'sys_platform',
  'platform.version': 'platform_version',
  'platform.machine': 'platform_machine',
  'platform.python_implementation': 'platform_python_implementation',
  python_implementation: 'platform_python_implementation',
};

const VARIABLES: ReadonlySet<string> = new Set<MarkerVariable>([
  'python_version',
  'python_full_version',
  'implementation_name',
  'implementation_version',
  'platform_python_implementation',
  'os_name',
  'sys_platform',
  'platform_system',
  'platform_machine',
  'platform_release',
  'platform_version',
  'extra',
]);

const NODE_ARCH_TO_MACHINE: Readonly<Record<string, string>> = {
  x64: 'x86_64',
  ia32: 'i686',
  arm64: 'aarch64',
  arm: 'armv7l',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
};

/**
 * The marker environment of an interpreter from its probe. `platform_machine` comes from the
 * SOABI (`cpython-311-x86_64-linux-gnu` → `x86_64`), which describes the interpreter rather than
 * the host; the host's architecture is the fallback. Release and version are the host's: the
 * interpreter runs on this kernel.
 */
export function markerEnvironment(
  python: PythonInfo,
  overrides: Partial<MarkerEnvironment> = {},
): MarkerEnvironment {
  const platform = python.platform;
  const system =
    platform.startsWith('linux') ? 'Linux'
    : platform === 'darwin' ? 'Darwin'
    : platform === 'win32' || platform === 'cygwin' ? 'Windows'
    : platform.replace(/\d+$/, '').replace(/^./, (c) => c.toUpperCase());
  const machine =
    machineFromAbiTag(python) ??
    (system === 'Darwin' && os.arch() === 'arm64' ? 'arm64' : (NODE_ARCH_TO_MACHINE[os.arch()] ?? os.arch()));
  const impl = python.implementation;
  return {
    python_version: majorMinor(python),
    python_full_version: python.version,
    implementation_name: impl,
    // PyPy's own version is not probed; its Python version is the closest known value.
    implementation_version: python.version,
    platform_python_implementation:
      impl === 'cpython' ? 'CPython'
      : impl === 'pypy' ? 'PyPy'
      : impl === 'ironpython' ? 'IronPython'
      : impl === 'jython' ? 'Jython'
      : impl,
    os_name: platform === 'win32' ? 'nt' : platform.startsWith('java') ? 'java' : 'posix',
    sys_platform: platform,
    platform_system: system,
    platform_machine: machine,
    platform_release: os.release(),
    platform_version: os.version(),
    extra: '',
    ...overrides,
  };
}

/** `cpython-311-x86_64-linux-gnu` → `x86_64`: the segment before the OS in the ABI tag. */
function machineFromAbiTag(python: PythonInfo): string | undefined {
  const tags = [python.soabi ?? '', ...python.extensionSuffixes.map((s) => s.replace(/^\.|\.so$/g, ''))];
  for (const tag of tags) {
    const parts = tag.split('-');
    const osAt = parts.findIndex((p) => /^(linux|darwin|freebsd|netbsd|openbsd|sunos|aix|cygwin)/.test(p));
    if (osAt > 0) {
      const m = parts[osAt - 1];
      if (m && !/^\d+$/.test(m) && !/^(cpython|pypy|pp\d+)/.test(m)) return m;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------

export type MarkerOp = '<' | '<=' | '==' | '!=' | '>=' | '>' | '~=' | '===' | 'in' | 'not in';

export type MarkerValue =
  | { readonly kind: 'variable'; readonly name: MarkerVariable }
  | { readonly kind: 'string'; readonly value: string };

export type MarkerNode =
  | { readonly kind: 'compare'; readonly left: MarkerValue; readonly op: MarkerOp; readonly right: MarkerValue }
  | { readonly kind: 'and' | 'or'; readonly left: MarkerNode; readonly right: MarkerNode };

export class MarkerSyntaxError extends Error {
  constructor(marker: string, detail: string) {
    super(`invalid environment marker "${marker}": ${detail}`);
    this.name = 'MarkerSyntaxError';
  }
}

type Token =
  | { readonly t: 'str'; readonly v: string }
  | { readonly t: 'name'; readonly v: string }
  | { readonly t: 'op'; readonly v: MarkerOp }
  | { readonly t: 'and' | 'or' | '(' | ')' };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '(' || c === ')') {
      out.push({ t: c });
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      const end = src.indexOf(c, i + 1);
      if (end < 0) throw new MarkerSyntaxError(src, 'unterminated string');
      out.push({ t: 'str', v: src.slice(i + 1, end) });
      i = end + 1;
      continue;
    }
    const op = /^(===|==|!=|<=|>=|~=|<|>)/.exec(src.slice(i));
    if (op) {
      out.push({ t: 'op', v: op[1] as MarkerOp });
      i += (op[1] as string).length;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(src.slice(i));
    if (!word) throw new MarkerSyntaxError(src, `unexpected "${src.slice(i, i + 10)}"`);
    const w = word[0];
    i += w.length;
    if (w === 'and' || w === 'or') out.push({ t: w });
    else if (w === 'in') out.push({ t: 'op', v: 'in' });
    else if (w === 'not') {
      const rest = /^\s+in\b/.exec(src.slice(i));
      if (!rest) throw new MarkerSyntaxError(src, '"not" must be followed by "in"');
      i += rest[0].length;
      out.push({ t: 'op', v: 'not in' });
    } else out.push({ t: 'name', v: w });
  }
  return out;
}

/** Parses a PEP 508 marker expression (`python_version < "3.8" and sys_platform == "linux"`). */
export function parseMarker(src: string): MarkerNode {
  const tokens = tokenize(src);
  let pos = 0;
  const peek = (): Token | undefined => tokens[pos];
  const value = (): MarkerValue => {
    const tok = tokens[pos++];
    if (tok?.t === 'str') return { kind: 'string', value: tok.v };
    if (tok?.t === 'name') {
      const name = LEGACY_NAMES[tok.v] ?? tok.v;
      if (!VARIABLES.has(name)) throw new MarkerSyntaxError(src, `unknown variable ${tok.v}`);
      return { kind: 'variable', name: name as MarkerVariable };
    }
    throw new MarkerSyntaxError(src, 'expected a variable or a quoted string');
  };
  const atom = (): MarkerNode => {
    if (peek()?.t === '(') {
      pos++;
      const inner = or();
      if (tokens[pos++]?.t !== ')') throw new MarkerSyntaxError(src, 'missing ")"');
      return inner;
    }
    const left = value();
    const op = tokens[pos++];
    if (op?.t !== 'op') throw new MarkerSyntaxError(src, 'expected a comparison operator');
    return { kind: 'compare', left, op: op.v, right: value() };
  };
  const and = (): MarkerNode => {
    let left = atom();
    while (peek()?.t === 'and') {
      pos++;
      left = { kind: 'and', left, right: atom() };
    }
    return left;
  };
  const or = (): MarkerNode => {
    let left = and();
    while (peek()?.t === 'or') {
      pos++;
      left = { kind: 'or', left, right: and() };
    }
    return left;
  };
  const node = or();
  if (pos !== tokens.length) throw new MarkerSyntaxError(src, 'unexpected trailing text');
  return node;
}

function resolveValue(v: MarkerValue, env: MarkerEnvironment): string {
  return v.kind === 'string' ? v.value : env[v.name];
}

function normalizeExtra(s: string): string {
  return s.replace(/[-_.]+/g, '-').toLowerCase();
}

function compare(left: string, op: MarkerOp, right: string): boolean {
  switch (op) {
    case 'in':
      return right.includes(left);
    case 'not in':
      return !right.includes(left);
    case '===':
      return left === right;
    default:
      break;
  }
  // Versions compare as PEP 440 versions (`python_version > "3.10"` is true for 3.11, which a
  // string comparison gets wrong); anything else falls back to strings, as `packaging` does.
  if (valid(left) !== null && validRange(`${op}${right}`)) {
    return satisfies(left, `${op}${right}`, { prereleases: true });
  }
  switch (op) {
    case '==':
      return left === right;
    case '!=':
      return left !== right;
    case '<':
      return left < right;
    case '<=':
      return left <= right;
    case '>':
      return left > right;
    case '>=':
      return left >= right;
    case '~=':
      return false;
  }
}

export function evaluateMarker(node: MarkerNode, env: MarkerEnvironment): boolean {
  switch (node.kind) {
    case 'and':
      return evaluateMarker(node.left, env) && evaluateMarker(node.right, env);
    case 'or':
      return evaluateMarker(node.left, env) || evaluateMarker(node.right, env);
    case 'compare': {
      let l = resolveValue(node.left, env);
      let r = resolveValue(node.right, env);
      if (
        (node.left.kind === 'variable' && node.left.name === 'extra') ||
        (node.right.kind === 'variable' && node.right.name === 'extra')
      ) {
        l = normalizeExtra(l);
        r = normalizeExtra(r);
      }
      return compare(l, node.op, r);
    }
  }
}

/** True when a marker mentions `extra`: the requirement only applies when an extra is requested. */
export function mentionsExtra(node: MarkerNode): boolean {
  if (node.kind === 'compare') {
    return (
      (node.left.kind === 'variable' && node.left.name === 'extra') ||
      (node.right.kind === 'variable' && node.right.name === 'extra')
    );
  }
  return mentionsExtra(node.left) || mentionsExtra(node.right);
}
