/**
 * Writes a lock as PEP 751 TOML, deterministically: packages sorted by name then version,
 * PEP 751's keys in the order the specification lists them, envbuild's own keys sorted, one
 * formatting for every value. Locking twice with nothing changed gives the same bytes, so a
 * diff of a lock in a pull request shows only real changes.
 *
 * A small emitter rather than a generic TOML stringifier: generic ones turn every nested
 * table into its own `[[packages.wheels]]` section, where PEP 751's examples (and pip's and
 * uv's locks) use one inline table per file.
 */
import type { EnvironmentLock, LockPackage, LockSource } from './model.js';

type Scalar = string | boolean | number;
type Inline = Scalar | readonly Inline[] | { readonly [key: string]: Inline };

/** A TOML basic string: JSON's escapes are TOML's, except DEL, which TOML wants escaped too. */
function str(s: string): string {
  return JSON.stringify(s).replace(/\x7f/g, '\\u007f');
}

const BARE_KEY = /^[A-Za-z0-9_-]+$/;
function key(k: string): string {
  return BARE_KEY.test(k) ? k : str(k);
}

function inline(v: Inline): string {
  if (typeof v === 'string') return str(v);
  if (typeof v === 'boolean' || typeof v === 'number') return String(v);
  if (Array.isArray(v)) return `[${(v as readonly Inline[]).map(inline).join(', ')}]`;
  const entries = Object.entries(v as Record<string, Inline>);
  return `{ ${entries.map(([k, x]) => `${key(k)} = ${inline(x)}`).join(', ')} }`;
}

/** An array of inline tables, one per line, so adding a file changes one line of the diff. */
function tableArray(items: readonly Inline[]): string {
  if (items.length === 0) return '[]';
  return `[\n${items.map((i) => `  ${inline(i)},`).join('\n')}\n]`;
}

function lines(entries: ReadonlyArray<readonly [string, Inline | undefined]>, arraysOfTables: ReadonlySet<string> = new Set()): string[] {
  return entries
    .filter((e): e is readonly [string, Inline] => e[1] !== undefined)
    .map(([k, v]) => `${key(k)} = ${arraysOfTables.has(k) ? tableArray(v as readonly Inline[]) : inline(v)}`);
}

function sorted(record: Readonly<Record<string, Inline | undefined>>): Array<[string, Inline | undefined]> {
  return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function fileRef(s: { url?: string; path?: string }): Record<string, Inline> {
  return s.url !== undefined ? { url: s.url } : { path: s.path ?? '' };
}

function sourceEntries(source: LockSource): Array<readonly [string, Inline]> {
  switch (source.kind) {
    case 'wheel':
      return [['wheels', [{ name: source.name, ...fileRef(source), hashes: { sha256: source.sha256 } }]]];
    case 'sdist':
      return [['sdist', { name: source.name, ...fileRef(source), hashes: { sha256: source.sha256 } }]];
    case 'archive':
      return [['archive', { ...fileRef(source), hashes: { sha256: source.sha256 } }]];
    case 'directory':
      return [['directory', { path: source.path, editable: source.editable }]];
    case 'pinned':
      return [];
  }
}

function packageBlock(p: LockPackage): string {
  const tool = sorted({
    parts: [...p.parts].sort(),
    requested: p.requested,
    ...(p.source.kind === 'pinned' ? { source: 'pinned: the version pip installed, without a file or hash (pip had no --report)' } : {}),
  });
  return [
    '[[packages]]',
    ...lines(
      [
        ['name', p.name],
        ['version', p.version],
        ['marker', p.marker],
        ['requires-python', p.requiresPython],
        ['dependencies', [...p.dependencies].sort().map((name) => ({ name }))],
        ...sourceEntries(p.source),
      ],
      new Set(['wheels']),
    ),
    '',
    '[packages.tool.envbuild]',
    ...lines(tool),
  ].join('\n');
}

export function comparePackages(a: LockPackage, b: LockPackage): number {
  const an = a.name.toLowerCase();
  const bn = b.name.toLowerCase();
  if (an !== bn) return an < bn ? -1 : 1;
  const av = a.version ?? '';
  const bv = b.version ?? '';
  return av < bv ? -1 : av > bv ? 1 : 0;
}

/** The lock file's text. Same lock, same bytes. */
export function writeLockText(lock: EnvironmentLock): string {
  const head = lines([
    ['lock-version', '1.0'],
    ['created-by', 'envbuild'],
    ['requires-python', `==${lock.interpreter.version}`],
    // PEP 751 requires the key: an environment with nothing installed still says so.
    ...(lock.packages.length === 0 ? [['packages', [] as Inline] as const] : []),
  ]);
  const packages = [...lock.packages].sort(comparePackages).map(packageBlock);
  const tool = [
    '[tool.envbuild]',
    ...lines(
      sorted({
        environment: lock.environment,
        inputs: lock.inputs,
        isolation: lock.isolation,
        layout: lock.layout,
        resolver: lock.resolver,
      }),
    ),
    '',
    '[tool.envbuild.python]',
    ...lines(sorted({ ...lock.interpreter, soabi: lock.interpreter.soabi ?? '' })),
  ];
  const allowlist = [...lock.allowlist]
    .sort((a, b) => (a.name.toLowerCase() < b.name.toLowerCase() ? -1 : a.name.toLowerCase() > b.name.toLowerCase() ? 1 : a.location < b.location ? -1 : 1))
    .map((g) => ['[[tool.envbuild.allowlist]]', ...lines(sorted({ ...g }))].join('\n'));
  return `${[head.join('\n'), ...packages, tool.join('\n'), ...allowlist].join('\n\n')}\n`;
}
