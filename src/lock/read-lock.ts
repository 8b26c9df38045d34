/**
 * Reads a lock file: TOML parsed with smol-toml, checked against PEP 751's rules and
 * envbuild's `[tool.envbuild]` (a lock is untrusted input), turned into an EnvironmentLock.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'smol-toml';
import { UserError } from '../errors/user-error.js';
import { canonical, type EnvironmentLock, type LockGlobal, type LockPackage, type LockSource } from './model.js';
import { isTable, lockProblems } from './validate-lock.js';

type Table = Record<string, unknown>;

/** The lock at `file`, or null when there is none. */
export async function readLockFile(file: string): Promise<{ lock: EnvironmentLock; text: string } | null> {
  let text: string;
  try {
    // Synchronous: a plan reads one (mostly absent) lock per environment, in turn; at 1,000
    // environments the thread-pool round trips of async reads cost more than the reads.
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new UserError('ELOCK', `cannot read lock ${file}: ${(e as Error).message}`);
  }
  return { lock: parsedOnce(file, text), text };
}

// A plan reads each lock twice (the pinned interpreter version first, then the lock itself):
// the same text is parsed once. Keyed by the text, so a lock rewritten in between is read anew.
const parsed = new Map<string, EnvironmentLock>();

function parsedOnce(file: string, text: string): EnvironmentLock {
  const key = `${file}\0${text}`;
  let lock = parsed.get(key);
  if (lock === undefined) {
    lock = parseLock(text, file);
    // A library user running many plans in one process keeps only the recent ones.
    if (parsed.size >= 10_000) parsed.clear();
    parsed.set(key, lock);
  }
  return lock;
}

export function parseLock(text: string, file: string): EnvironmentLock {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new UserError('ELOCK', `${file} is not valid TOML: ${(e as Error).message.split('\n')[0]}`, {
      hint: 'a lock is written by `envbuild lock`; delete it and run that again',
    });
  }
  const problems = lockProblems(doc);
  if (problems.length > 0) {
    throw new UserError('ELOCK', `${file} is not a lock envbuild can use:\n${problems.map((p) => `  ${p}`).join('\n')}`, {
      hint: 'run `envbuild lock` to write it again',
    });
  }
  return toLock(doc as Table);
}

function str(t: Table, k: string): string | undefined {
  return typeof t[k] === 'string' ? (t[k] as string) : undefined;
}

function fileSource(t: Table): { url?: string; path?: string; sha256: string } {
  const url = str(t, 'url');
  const p = str(t, 'path');
  return { ...(url !== undefined ? { url } : {}), ...(p !== undefined && url === undefined ? { path: p } : {}), sha256: str(t['hashes'] as Table, 'sha256') ?? '' };
}

function sourceOf(p: Table): LockSource {
  if (Array.isArray(p['wheels'])) {
    const w = p['wheels'][0] as Table;
    return { kind: 'wheel', name: str(w, 'name') ?? '', ...fileSource(w) };
  }
  if (isTable(p['sdist'])) return { kind: 'sdist', name: str(p['sdist'], 'name') ?? '', ...fileSource(p['sdist']) };
  if (isTable(p['archive'])) return { kind: 'archive', ...fileSource(p['archive']) };
  if (isTable(p['directory'])) return { kind: 'directory', path: str(p['directory'], 'path') ?? '', editable: p['directory']['editable'] === true };
  return { kind: 'pinned' };
}

function toPackage(p: Table): LockPackage {
  const tool = isTable(p['tool']) && isTable(p['tool']['envbuild']) ? p['tool']['envbuild'] : {};
  const parts = Array.isArray(tool['parts']) ? tool['parts'].filter((x): x is string => typeof x === 'string') : [];
  const deps = Array.isArray(p['dependencies']) ? (p['dependencies'] as Table[]).map((d) => str(d, 'name')).filter((n): n is string => n !== undefined) : [];
  const version = str(p, 'version');
  const marker = str(p, 'marker');
  const requiresPython = str(p, 'requires-python');
  return {
    name: str(p, 'name') ?? '',
    ...(version !== undefined ? { version } : {}),
    ...(marker !== undefined ? { marker } : {}),
    ...(requiresPython !== undefined ? { requiresPython } : {}),
    dependencies: deps.map(canonical),
    source: sourceOf(p),
    parts,
    requested: tool['requested'] === true,
  };
}

function toLock(doc: Table): EnvironmentLock {
  const tool = (doc['tool'] as Table)['envbuild'] as Table;
  const python = tool['python'] as Table;
  const soabi = str(python, 'soabi');
  const executable = str(python, 'executable');
  const allowlist = (Array.isArray(tool['allowlist']) ? tool['allowlist'] : []) as Table[];
  return {
    environment: str(tool, 'environment') ?? '',
    inputs: str(tool, 'inputs') ?? '',
    interpreter: {
      implementation: str(python, 'implementation') ?? '',
      version: str(python, 'version') ?? '',
      soabi: soabi === undefined || soabi === '' ? null : soabi,
      platform: str(python, 'platform') ?? '',
      tag: str(python, 'tag') ?? '',
      ...(executable !== undefined ? { executable } : {}),
    },
    isolation: str(tool, 'isolation') ?? '',
    layout: str(tool, 'layout') === 'classic' ? 'classic' : 'venv',
    allowlist: allowlist.map((g): LockGlobal => ({ name: str(g, 'name') ?? '', version: str(g, 'version') ?? '', location: str(g, 'location') ?? '', reason: str(g, 'reason') ?? '' })),
    resolver: str(tool, 'resolver') ?? '',
    packages: (doc['packages'] as Table[]).map(toPackage),
  };
}
