/**
 * PEP 751's rules for a lock file, checked on every lock envbuild reads (a lock is untrusted
 * input: it names files to install and paths to read) and, in the tests, on every lock it
 * writes. Returns the problems, each naming where (`packages[3].wheels[0]`); empty when valid.
 */

const SOURCE_KEYS = ['vcs', 'directory', 'archive', 'sdist', 'wheels'] as const;
const NAME = /^([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9])$/;
const HEX64 = /^[0-9a-f]{64}$/;

type Table = Record<string, unknown>;

function isTable(v: unknown): v is Table {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function fileProblems(where: string, file: unknown, needsName: boolean): string[] {
  if (!isTable(file)) return [`${where} must be a table`];
  const problems: string[] = [];
  if (needsName && typeof file['name'] !== 'string') problems.push(`${where}.name is required`);
  const hasUrl = typeof file['url'] === 'string';
  const hasPath = typeof file['path'] === 'string';
  if (!hasUrl && !hasPath) problems.push(`${where} needs a url or a path`);
  if (hasPath) problems.push(...pathProblems(`${where}.path`, file['path'] as string));
  const hashes = file['hashes'];
  if (!isTable(hashes) || Object.keys(hashes).length === 0) problems.push(`${where}.hashes is required (at least one hash)`);
  else if (hashes['sha256'] !== undefined && (typeof hashes['sha256'] !== 'string' || !HEX64.test(hashes['sha256']))) {
    problems.push(`${where}.hashes.sha256 must be 64 lowercase hex digits`);
  }
  return problems;
}

/** A path in a lock is relative to the lock's directory or absolute; never with NUL or a backslash escape. */
function pathProblems(where: string, p: string): string[] {
  if (p === '' || p.includes('\0')) return [`${where} is not a usable path`];
  return [];
}

function packageProblems(i: number, p: unknown): string[] {
  const at = `packages[${i}]`;
  if (!isTable(p)) return [`${at} must be a table`];
  const problems: string[] = [];
  if (typeof p['name'] !== 'string' || !NAME.test(p['name'])) problems.push(`${at}.name is required and must be a valid distribution name`);
  if (p['version'] !== undefined && typeof p['version'] !== 'string') problems.push(`${at}.version must be a string`);
  for (const k of ['marker', 'requires-python'] as const) if (p[k] !== undefined && typeof p[k] !== 'string') problems.push(`${at}.${k} must be a string`);
  if (p['dependencies'] !== undefined && (!Array.isArray(p['dependencies']) || !p['dependencies'].every(isTable))) {
    problems.push(`${at}.dependencies must be an array of tables`);
  }
  const kinds = SOURCE_KEYS.filter((k) => p[k] !== undefined);
  const tool = isTable(p['tool']) && isTable(p['tool']['envbuild']) ? p['tool']['envbuild'] : {};
  const pinned = typeof tool['source'] === 'string' && tool['source'].startsWith('pinned');
  // wheels and sdist may be given together (a package with both); the others exclude everything.
  const exclusive = kinds.filter((k) => k !== 'wheels' && k !== 'sdist');
  if (exclusive.length > 1 || (exclusive.length === 1 && kinds.length > 1)) problems.push(`${at} has more than one source kind: ${kinds.join(', ')}`);
  if (kinds.length === 0 && !pinned) problems.push(`${at} has no source (one of ${SOURCE_KEYS.join(', ')})`);
  if (p['wheels'] !== undefined) {
    if (!Array.isArray(p['wheels']) || p['wheels'].length === 0) problems.push(`${at}.wheels must be a non-empty array`);
    else p['wheels'].forEach((w, j) => problems.push(...fileProblems(`${at}.wheels[${j}]`, w, true)));
  }
  if (p['sdist'] !== undefined) problems.push(...fileProblems(`${at}.sdist`, p['sdist'], false));
  if (p['archive'] !== undefined) problems.push(...fileProblems(`${at}.archive`, p['archive'], false));
  if (p['directory'] !== undefined) {
    const d = p['directory'];
    if (!isTable(d) || typeof d['path'] !== 'string') problems.push(`${at}.directory.path is required`);
    else problems.push(...pathProblems(`${at}.directory.path`, d['path']));
    if (p['version'] !== undefined) problems.push(`${at}.version must not be given for a directory (a source tree's version is not fixed)`);
  }
  if (p['vcs'] !== undefined) problems.push(`${at}.vcs: envbuild does not install from version control sources`);
  return problems;
}

/** Every PEP 751 rule envbuild relies on, and the shape of its own `[tool.envbuild]`. */
export function lockProblems(doc: unknown): string[] {
  if (!isTable(doc)) return ['the file is not a TOML table'];
  const problems: string[] = [];
  if (doc['lock-version'] !== '1.0') problems.push(`lock-version must be "1.0" (found ${JSON.stringify(doc['lock-version'] ?? null)})`);
  if (typeof doc['created-by'] !== 'string' || doc['created-by'] === '') problems.push('created-by is required');
  const packages = doc['packages'];
  if (!Array.isArray(packages)) problems.push('packages is required (an array of tables)');
  else packages.forEach((p, i) => problems.push(...packageProblems(i, p)));
  const seen = new Set<string>();
  for (const p of Array.isArray(packages) ? packages : []) {
    if (!isTable(p) || typeof p['name'] !== 'string') continue;
    const id = `${p['name'].toLowerCase()}@${String(p['version'] ?? '')}`;
    if (seen.has(id)) problems.push(`package ${p['name']} ${String(p['version'] ?? '')} is listed twice`);
    seen.add(id);
  }
  const tool = isTable(doc['tool']) ? doc['tool']['envbuild'] : undefined;
  if (!isTable(tool)) return [...problems, '[tool.envbuild] is missing: the lock was not written by envbuild'];
  for (const k of ['environment', 'inputs', 'isolation', 'layout', 'resolver']) if (typeof tool[k] !== 'string') problems.push(`tool.envbuild.${k} is required`);
  const python = tool['python'];
  if (!isTable(python)) problems.push('tool.envbuild.python is required');
  else for (const k of ['implementation', 'version', 'platform', 'tag']) if (typeof python[k] !== 'string') problems.push(`tool.envbuild.python.${k} is required`);
  const allowlist = tool['allowlist'];
  if (allowlist !== undefined && (!Array.isArray(allowlist) || !allowlist.every((g) => isTable(g) && ['name', 'version', 'location', 'reason'].every((k) => typeof g[k] === 'string')))) {
    problems.push('tool.envbuild.allowlist entries need name, version, location and reason');
  }
  return problems;
}

export { isTable };
