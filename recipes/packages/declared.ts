/**
 * What a packages part declares, read from its options and the requirement files they name:
 * the arguments pip gets, the root distributions the environment must keep (the start of the
 * dependency closure), and the files whose content decides what gets installed (so that an
 * edited requirements.txt re-plans the part although its options did not change).
 *
 * Only reads files; never runs anything (the planner uses it).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from 'envbuild/recipe';

export interface PackagesOptions {
  readonly requirements?: readonly string[];
  readonly editable?: readonly string[];
  readonly 'find-links'?: readonly string[];
  readonly 'index-url'?: string;
  readonly 'extra-index-url'?: readonly string[];
  readonly 'no-index'?: boolean;
  readonly 'bundled-wheels'?: boolean;
  readonly 'seed-pip'?: boolean;
  readonly 'extra-args'?: readonly string[];
  readonly 'install-mode'?: 'auto' | 'clone' | 'hardlink' | 'copy';
  readonly 'compile-bytecode'?: boolean;
}

/** A local project directory, wheel or source archive, installed from its path. */
export interface LocalPath {
  /** Absolute. */
  readonly path: string;
  readonly editable: boolean;
  readonly extras: readonly string[];
  /** The distribution name when it can be read without building (wheel file name, pyproject.toml). */
  readonly name?: string;
}

export interface Declared {
  /** What follows `pip install`, in order: specifiers, `-r`/`-c` files, paths, `-e` paths (all absolute). */
  readonly pipArgs: readonly string[];
  /** PEP 508 requirements the environment must keep (with their dependencies), from the options and -r files. */
  readonly roots: readonly string[];
  /** Local projects, wheels and archives: roots whose names are known once installed (direct_url.json). */
  readonly paths: readonly LocalPath[];
  /** Requirements whose distribution cannot be named before installing (a URL without #egg=). */
  readonly unnamed: readonly string[];
  /** Every file whose content decides what is installed, with its sha256 (null: missing). */
  readonly sources: Readonly<Record<string, string | null>>;
}

const PATH_LIKE = /^(\.{1,2}(\/|$)|\/)/;
const URL_LIKE = /^[a-z][a-z0-9+.-]*:/i;
const FILE_OPTION = /^(-r|--requirement|-c|--constraint|-e|--editable)(?:\s+|=)(.+)$/;
/** Per-requirement options pip allows after a requirement in a requirements file. */
const LINE_OPTIONS = /\s+--?(hash|global-option|install-option|config-settings|config-setting)\b.*$/;

/** Reads the declaration; throws a UserError naming the option or file:line that is wrong. */
export async function readDeclared(options: PackagesOptions, manifestDir: string): Promise<Declared> {
  const acc = new Accumulator(manifestDir);
  for (const raw of options.requirements ?? []) {
    const entry = raw.trim();
    const option = FILE_OPTION.exec(entry);
    if (option) {
      const [, flag, value] = option as unknown as [string, string, string];
      const file = path.resolve(manifestDir, value.trim());
      if (flag === '-e' || flag === '--editable') {
        throw new UserError('EPACKAGES', `requirements: "${entry}": list editable projects under "editable:", not in requirements`, {
          hint: `editable: [${value.trim()}]`,
        });
      }
      if (flag === '-r' || flag === '--requirement') {
        acc.pipArgs.push('-r', file);
        await acc.readFile(file, `requirements: "${entry}"`, new Set());
      } else {
        acc.pipArgs.push('-c', file);
        if ((await acc.hash(file)) === null) throw missingFile(`requirements: "${entry}"`, file);
      }
    } else if (entry.startsWith('-')) {
      throw new UserError('EPACKAGES', `requirements: "${entry}" is a pip option, not a requirement`, {
        hint: 'requirements take specifiers ("attrs==23.2.0"), paths ("./wheels/x.whl") and "-r file" / "-c file"; pass other pip options with extra-args',
      });
    } else if (entry === '') {
      throw new UserError('EPACKAGES', 'requirements: an entry is empty');
    } else {
      await acc.add(entry, false, true);
    }
  }
  for (const dir of options.editable ?? []) await acc.add(dir.trim(), true, true);
  return {
    pipArgs: acc.pipArgs,
    roots: acc.roots,
    paths: acc.paths,
    unnamed: acc.unnamed,
    sources: Object.fromEntries([...acc.sources].sort(([a], [b]) => a.localeCompare(b))),
  };
}

function missingFile(where: string, file: string): UserError {
  return new UserError('EPACKAGES', `${where}: ${file} does not exist`, {
    hint: 'requirement and constraint files are relative to the manifest directory (nested ones to the file naming them)',
  });
}

class Accumulator {
  readonly pipArgs: string[] = [];
  readonly roots: string[] = [];
  readonly paths: LocalPath[] = [];
  readonly unnamed: string[] = [];
  readonly sources = new Map<string, string | null>();

  constructor(private readonly manifestDir: string) {}

  async hash(file: string): Promise<string | null> {
    if (this.sources.has(file)) return this.sources.get(file) ?? null;
    let digest: string | null = null;
    try {
      digest = createHash('sha256').update(await readFile(file)).digest('hex');
    } catch (e) {
      if (!isMissing(e)) throw e;
    }
    this.sources.set(file, digest);
    return digest;
  }

  /**
   * A requirements file, as pip reads it: nested `-r`/`-c` relative to the file, requirement
   * paths relative to the working directory (pip runs in the manifest's directory).
   */
  async readFile(file: string, where: string, reading: Set<string>): Promise<void> {
    if (reading.has(file)) return;
    reading.add(file);
    if ((await this.hash(file)) === null) throw missingFile(where, file);
    const text = await readFile(file, 'utf8');
    for (const [lineNo, rawLine] of joinContinuations(text)) {
      const line = stripComment(rawLine).trim();
      if (line === '') continue;
      const at = `${file}:${lineNo}`;
      const option = FILE_OPTION.exec(line);
      if (option) {
        const [, flag, value] = option as unknown as [string, string, string];
        const target = value.trim();
        if (flag === '-r' || flag === '--requirement') {
          await this.readFile(path.resolve(path.dirname(file), target), at, reading);
        } else if (flag === '-c' || flag === '--constraint') {
          const constraints = path.resolve(path.dirname(file), target);
          if ((await this.hash(constraints)) === null) throw missingFile(at, constraints);
        } else {
          await this.add(target, true, false);
        }
      } else if (!line.startsWith('-')) {
        await this.add(line.replace(LINE_OPTIONS, ''), false, false);
      }
      // Other options (--index-url, --find-links, --pre...) are pip's business: it reads the file too.
    }
  }

  /** One requirement; `forPip` when it comes from the options (pip reads -r files itself). */
  async add(entry: string, editable: boolean, forPip: boolean): Promise<void> {
    const { location, extras } = splitExtras(entry);
    if (!URL_LIKE.test(location) && (editable || PATH_LIKE.test(location))) {
      const file = path.resolve(this.manifestDir, location);
      const name = await staticName(file, this);
      this.paths.push({ path: file, editable, extras, ...(name === undefined ? {} : { name }) });
      if (forPip) {
        const arg = extras.length > 0 ? `${file}[${extras.join(',')}]` : file;
        this.pipArgs.push(...(editable ? ['-e', arg] : [arg]));
      }
      return;
    }
    if (forPip) this.pipArgs.push(...(editable ? ['-e', entry] : [entry]));
    if (URL_LIKE.test(location)) {
      // A bare URL: only "#egg=name" says what it provides before pip fetches it.
      const egg = /[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(entry);
      if (egg) this.roots.push(egg[1] as string);
      else this.unnamed.push(entry);
      return;
    }
    this.roots.push(entry);
  }
}

/** `./proj[extra1,extra2]` → the location and the extras. */
function splitExtras(entry: string): { location: string; extras: string[] } {
  const m = /^(.*?)\[([A-Za-z0-9._,\s-]*)\]$/.exec(entry);
  if (!m) return { location: entry, extras: [] };
  const extras = (m[2] as string)
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  return { location: m[1] as string, extras };
}

/**
 * The distribution a local path provides, without building it: from a wheel's or sdist's file
 * name, or `[project] name` / setup.cfg `[metadata] name`. Also records the files whose change
 * means the project must be reinstalled (the archive; a project's build configuration).
 */
async function staticName(file: string, acc: Accumulator): Promise<string | undefined> {
  const base = path.basename(file);
  const archive = /^([A-Za-z0-9._]+?)-\d[^-]*(-[^-]+)*\.(whl|tar\.gz|tar\.bz2|zip)$/.exec(base);
  if (archive) {
    await acc.hash(file);
    return archive[1];
  }
  let name: string | undefined;
  for (const config of ['pyproject.toml', 'setup.cfg', 'setup.py']) {
    const p = path.join(file, config);
    if ((await acc.hash(p)) === null) {
      acc.sources.delete(p);
      continue;
    }
    if (name !== undefined) continue;
    const text = await readFile(p, 'utf8');
    if (config === 'pyproject.toml') name = tableValue(text, 'project', 'name');
    else if (config === 'setup.cfg') name = tableValue(text, 'metadata', 'name');
  }
  return name;
}

/** `key = "value"` (TOML) or `key = value` (INI) inside `[table]`; enough for a project name. */
function tableValue(text: string, table: string, key: string): string | undefined {
  let inTable = false;
  for (const line of text.split(/\r?\n/)) {
    const header = /^\s*\[([^\]]+)\]\s*$/.exec(line);
    if (header) {
      inTable = (header[1] as string).trim() === table;
      continue;
    }
    if (!inTable) continue;
    const m = new RegExp(`^\\s*${key}\\s*=\\s*["']?([A-Za-z0-9][A-Za-z0-9._-]*)["']?\\s*(#.*)?$`).exec(line);
    if (m) return m[1];
  }
  return undefined;
}

function joinContinuations(text: string): [number, string][] {
  const out: [number, string][] = [];
  let pending: [number, string] | null = null;
  text.split(/\r?\n/).forEach((line, i) => {
    const current: [number, string] = pending ? [pending[0], pending[1] + line] : [i + 1, line];
    if (/(^|[^\\])\\$/.test(line)) pending = [current[0], current[1].slice(0, -1)];
    else {
      out.push(current);
      pending = null;
    }
  });
  if (pending) out.push(pending);
  return out;
}

/** pip's rule: `#` starts a comment at the line start or after whitespace. */
function stripComment(line: string): string {
  return line.replace(/(^|\s)#.*$/, '');
}

function isMissing(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}

/** PEP 503 normalisation: how pip, the index and metadata compare names. */
export function canonicalName(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}

/**
 * Why the declared requirements differ from the previous ones, for the plan:
 * `attrs==23.1.0 → attrs==23.2.0`, `added six`, `removed requests`.
 */
export function describeRequirementChanges(before: PackagesOptions, after: PackagesOptions): string[] {
  const reasons: string[] = [];
  const keyed = (list: readonly string[] | undefined) => {
    const map = new Map<string, string>();
    for (const raw of list ?? []) {
      const entry = raw.trim();
      const name = /^([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(entry);
      map.set(name && !PATH_LIKE.test(entry) && !entry.includes('://') ? canonicalName(name[1] as string) : entry, entry);
    }
    return map;
  };
  for (const [option, label] of [
    ['requirements', ''],
    ['editable', 'editable '],
  ] as const) {
    const old = keyed(before[option]);
    const now = keyed(after[option]);
    for (const [key, entry] of now) {
      const was = old.get(key);
      if (was === undefined) reasons.push(`added ${label}${entry}`);
      else if (was !== entry) reasons.push(`${was} → ${entry}`);
    }
    for (const [key, entry] of old) if (!now.has(key)) reasons.push(`removed ${label}${entry}`);
  }
  return reasons;
}
