import { availableParallelism } from 'node:os';
import path from 'node:path';
import { ManifestError, UserError, type SourceLocation } from '../errors/index.js';
import { findCandidates, pathDirs, type Candidate, type CandidateSource } from './candidates.js';
import { createLimiter } from './concurrency-limit.js';
import type { PythonInfo } from './interpreter.js';
import { CACHE_FILE_NAME, defaultCacheDir, ProbeCache, type FileIdentity } from './probe-cache.js';
import { resolveExecutable } from './executable-file.js';
import { notPython, runProbe, type ProbeOptions, type ProbeOutcome } from './probe.js';
import { defaultPyenvRoot, readFileKind, resolvePyenvCommand, shimRoot, type Env } from './pyenv.js';
import {
  compareVersionStrings,
  parseRequest,
  rangeMatches,
  rangePitfall,
  type PythonRequest,
  type RangeRequest,
} from './version-request.js';

/**
 * Interpreter discovery: candidates (PATH, pyenv, system directories) are probed at most once
 * per finder, a few at a time, through the probe cache; a request then picks among them.
 *
 * Choice among several matches of a range: the highest version (PEP 440 order, so 3.13.0 beats
 * 3.13.0rc1), then the executable whose real path sorts first (byte order). The tie-break is
 * deliberately independent of PATH order, so a manifest resolves the same from any shell.
 */

export interface DiscoveryOptions extends ProbeOptions {
  /** PATH, PYENV_ROOT, PYENV_VERSION, HOME, XDG_CACHE_HOME, ENVBUILD_CACHE_DIR are read from it. Default `process.env`. */
  readonly env?: Env;
  /** Where a `.python-version` is looked up from when a pyenv shim is resolved. Default `process.cwd()`. */
  readonly cwd?: string;
  /** Directory of `interpreters.json`. Default: see `defaultCacheDir`. Null: nothing is read or written. */
  readonly cacheDir?: string | null;
  /** Read the cache but never write it: for runs that must write nothing (an invalid manifest). */
  readonly readOnlyCache?: boolean;
  /** Default `$PYENV_ROOT` or `~/.pyenv`. Null: ignore pyenv installations (shims are still never run). */
  readonly pyenvRoot?: string | null;
  /** Searched after PATH and pyenv. Default `/usr/local/bin`, `/usr/bin`. */
  readonly systemDirs?: readonly string[];
  /** Probes run at once. Default: the number of cores, at most 4. */
  readonly concurrency?: number;
}

/** A working base interpreter, for `envbuild pythons`. */
export interface FoundInterpreter {
  readonly info: PythonInfo;
  /** The first place it was found. */
  readonly source: CandidateSource;
  /** Every path that led to it (symlinks, names on PATH), in discovery order. */
  readonly foundAs: readonly string[];
}

/** A candidate that cannot serve as a base: not a working Python, or a virtual environment. */
export interface RejectedCandidate {
  readonly path: string;
  readonly source: CandidateSource;
  readonly foundAs: readonly string[];
  /** Present when the probe worked (a virtual environment). */
  readonly info: PythonInfo | undefined;
  readonly reason: string;
}

export interface InterpreterSurvey {
  /** Sorted by version, highest first, then by path. */
  readonly found: readonly FoundInterpreter[];
  readonly rejected: readonly RejectedCandidate[];
  /** Directories searched, for messages. */
  readonly searched: readonly string[];
}

export interface ResolveOptions {
  /** Where the request is written: errors then become a `ManifestError` located there. */
  readonly at?: SourceLocation | undefined;
  /** The request's key path, e.g. `environments.app.python`, shown with a located error. */
  readonly keyPath?: string | undefined;
  /** An exact version (the one a lock pins) that wins over higher versions in the range. */
  readonly prefer?: string | undefined;
}

/** One discovery session: every candidate is probed at most once, however many requests. */
export interface InterpreterFinder {
  survey(): Promise<InterpreterSurvey>;
  list(): Promise<FoundInterpreter[]>;
  /**
   * @throws UserError `ENOPYTHON` (nothing matches), `EPYTHONPROBE` (the named file is not a
   * working Python), `EPYTHONREQUEST` (the request is malformed); a `ManifestError` holding one
   * diagnostic instead when `at` is given.
   */
  resolve(request: string | PythonRequest, options?: ResolveOptions): Promise<PythonInfo>;
}

function defaultConcurrency(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

/** Orders interpreters highest version first, then by executable path (byte order). */
export function compareInterpreters(a: { info: PythonInfo }, b: { info: PythonInfo }): number {
  const byVersion = compareVersionStrings(b.info.version, a.info.version);
  if (byVersion !== 0) return byVersion;
  return a.info.executable < b.info.executable ? -1 : a.info.executable > b.info.executable ? 1 : 0;
}

/** A located diagnostic when the request's position is known, else a plain user error. */
function requestError(code: string, message: string, hint: string, options: ResolveOptions): UserError {
  if (options.at === undefined) return new UserError(code, message, { hint });
  return new ManifestError([
    { severity: 'error', message, location: options.at, hint, ...(options.keyPath === undefined ? {} : { keyPath: options.keyPath }) },
  ]);
}

export function createInterpreterFinder(options: DiscoveryOptions = {}): InterpreterFinder {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const probeOptions: ProbeOptions = { env, ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }) };
  const limit = createLimiter(options.concurrency ?? defaultConcurrency());
  const cacheFile = options.cacheDir === null ? undefined : path.join(options.cacheDir ?? defaultCacheDir(env), CACHE_FILE_NAME);
  const configuredRoot = options.pyenvRoot === undefined ? defaultPyenvRoot(env) : options.pyenvRoot;

  let cachePromise: Promise<ProbeCache> | undefined;
  const openCache = (): Promise<ProbeCache> => (cachePromise ??= ProbeCache.open(cacheFile));
  let saving: Promise<void> = Promise.resolve();
  const persist = async (): Promise<void> => {
    if (options.readOnlyCache) return;
    saving = saving.then(async () => (await openCache()).save());
    await saving;
  };

  const probes = new Map<string, Promise<ProbeOutcome>>();
  const probe = (realPath: string, identity: FileIdentity): Promise<ProbeOutcome> => {
    let outcome = probes.get(realPath);
    if (outcome === undefined) {
      outcome = (async () => {
        const cache = await openCache();
        const hit = cache.get(realPath, identity);
        if (hit !== undefined) return hit;
        const fresh = await limit(() => runProbe(realPath, probeOptions));
        cache.set(realPath, identity, fresh);
        return fresh;
      })();
      probes.set(realPath, outcome);
    }
    return outcome;
  };

  let surveyPromise: Promise<InterpreterSurvey> | undefined;
  const survey = (): Promise<InterpreterSurvey> => (surveyPromise ??= runSurvey());

  async function runSurvey(): Promise<InterpreterSurvey> {
    const search = await findCandidates({ env, pyenvRoot: configuredRoot, systemDirs: options.systemDirs });
    const outcomes = await Promise.all(search.candidates.map((c) => probe(c.realPath, c.identity)));
    return { ...classifyCandidates(search.candidates, outcomes), searched: search.searched };
  }

  const which = (command: string, skipPyenvShims: boolean): Promise<string | undefined> => whichOnPath(env, command, skipPyenvShims);

  async function probeFile(file: string, label: string, ro: ResolveOptions): Promise<PythonInfo> {
    const resolved = await resolveExecutable(file);
    if (!resolved.ok) {
      throw requestError('EPYTHONPROBE', `${label}: ${file} is not a working Python interpreter: ${resolved.problem}`, 'check the path', ro);
    }
    const { size, mtimeMs, ino, ctimeMs } = resolved.stats;
    const outcome = await probe(resolved.realPath, { size, mtimeMs, ino, ctimeMs });
    if (!outcome.ok) {
      const e = notPython(file, outcome.reason);
      throw requestError(e.code, `${label}: ${e.message}`, e.hint ?? '', ro);
    }
    return outcome.info;
  }

  /** A command or path request: follow a pyenv shim to the binary it would run, then probe. */
  async function resolveFile(file: string, request: PythonRequest, ro: ResolveOptions): Promise<PythonInfo> {
    const label = `python "${request.text}"`;
    const resolved = await resolveExecutable(file);
    if (!resolved.ok) {
      throw requestError('ENOPYTHON', `${label}: ${file}: ${resolved.problem}`, 'give the path of an installed interpreter, or a version range such as "3.11"', ro);
    }
    const kind = await readFileKind(resolved.realPath);
    if (kind.kind !== 'pyenv-shim') return probeFile(file, label, ro);
    const root = shimRoot(resolved.realPath, kind, configuredRoot ?? defaultPyenvRoot(env));
    const ctx = { root, env, cwd, findOnSystemPath: (cmd: string) => which(cmd, true) };
    // pyenv names the program after the path it was invoked as ($0), not the link's target.
    let shim = await resolvePyenvCommand(path.basename(file), ctx);
    if (!shim.ok && path.basename(resolved.realPath) !== path.basename(file)) {
      shim = await resolvePyenvCommand(path.basename(resolved.realPath), ctx);
    }
    if (!shim.ok) throw requestError('ENOPYTHON', `${label}: ${file} is a pyenv shim and ${shim.message}`, shim.hint, ro);
    return probeFile(shim.path, `${label} (pyenv shim ${file} → ${shim.version}, ${shim.why})`, ro);
  }

  async function resolveRange(request: RangeRequest, ro: ResolveOptions): Promise<PythonInfo> {
    const result = await survey();
    const matching = result.found.filter((f) => rangeMatches(request, f.info.versionInfo));
    const match = matching.find((f) => f.info.version === ro.prefer) ?? matching[0];
    if (match !== undefined) return match.info;
    throw requestError('ENOPYTHON', noMatchMessage(request, result), noMatchHint(request), ro);
  }

  // Many environments name the same interpreter: it is resolved (realpath, stat, kind, probe
  // cache) once per run. A failure is not shared, so each environment's error is located at it.
  const resolvedFiles = new Map<string, Promise<PythonInfo>>();
  function resolveFileOnce(file: string, request: PythonRequest, ro: ResolveOptions): Promise<PythonInfo> {
    const key = `${file}\0${request.text}`;
    const earlier = resolvedFiles.get(key);
    if (earlier) return earlier.catch(() => resolveFile(file, request, ro));
    const now = resolveFile(file, request, ro);
    resolvedFiles.set(key, now);
    return now;
  }

  async function resolve(request: string | PythonRequest, ro: ResolveOptions = {}): Promise<PythonInfo> {
    let parsed: PythonRequest;
    if (typeof request === 'string') {
      const result = parseRequest(request);
      if (!result.ok) throw requestError('EPYTHONREQUEST', `invalid python request: ${result.message}`, result.hint, ro);
      parsed = result.request;
    } else {
      parsed = request;
    }
    try {
      switch (parsed.kind) {
        case 'range':
          return await resolveRange(parsed, ro);
        case 'path':
          return await resolveFileOnce(parsed.path, parsed, ro);
        case 'command': {
          const file = await which(parsed.name, false);
          if (file === undefined) {
            throw requestError(
              'ENOPYTHON',
              `python "${parsed.text}": no ${parsed.name} on PATH (${pathDirs(env).join(':') || 'PATH is empty'})`,
              'install it, put its directory on PATH, or request a version range such as "3.11"',
              ro,
            );
          }
          return await resolveFileOnce(file, parsed, ro);
        }
      }
    } finally {
      await persist();
    }
  }

  return {
    survey: async () => {
      try {
        return await survey();
      } finally {
        await persist();
      }
    },
    list: async () => {
      try {
        return [...(await survey()).found];
      } finally {
        await persist();
      }
    },
    resolve,
  };
}

function noMatchMessage(request: RangeRequest, survey: InterpreterSurvey): string {
  const lines = [
    ...survey.found.map((f) => `  ${f.info.version} ${f.info.executable}: outside ${request.text}`),
    ...survey.rejected.map((r) => `  ${r.info?.version ?? '?'} ${r.path}: ${r.reason}`),
  ];
  if (lines.length === 0) {
    return `no Python interpreter matches "${request.text}": none found (searched ${survey.searched.join(', ')})`;
  }
  const n = lines.length;
  return `no Python interpreter matches "${request.text}"; ${n} interpreter${n === 1 ? '' : 's'} found:\n${lines.join('\n')}`;
}

function noMatchHint(request: RangeRequest): string {
  const pitfall = rangePitfall(request);
  if (pitfall !== undefined) return pitfall;
  const named = request.clauses.find((c) => c.op === '==' || c.op === '>=' || c.op === '~=');
  const example = named === undefined ? '' : ` (e.g. "pyenv install ${named.release.join('.')}")`;
  return `install a matching interpreter${example}, or change python: to a range one of these satisfies, a command on PATH or an absolute path`;
}

/** Resolves one request. Several requests in one run should share a finder (`finder`). */
export async function resolveInterpreter(
  request: string | PythonRequest,
  options: DiscoveryOptions & ResolveOptions & { readonly finder?: InterpreterFinder } = {},
): Promise<PythonInfo> {
  const finder = options.finder ?? createInterpreterFinder(options);
  return finder.resolve(request, { at: options.at, keyPath: options.keyPath });
}

/** Every working base interpreter found, highest version first, then by path. */
export async function listInterpreters(options: DiscoveryOptions = {}): Promise<FoundInterpreter[]> {
  return createInterpreterFinder(options).list();
}

/**
 * Working base interpreters among the probed candidates, best first (a wrapper script and the
 * binary it runs are one interpreter), and why the others were rejected.
 */
function classifyCandidates(
  candidates: readonly Candidate[],
  outcomes: ReadonlyArray<ProbeOutcome | undefined>,
): { found: FoundInterpreter[]; rejected: RejectedCandidate[] } {
  const found: FoundInterpreter[] = [];
  const rejected: RejectedCandidate[] = [];
  const byExecutable = new Map<string, FoundInterpreter>();
  candidates.forEach((candidate: Candidate, i) => {
    const outcome = outcomes[i];
    const base = { path: candidate.realPath, source: candidate.source, foundAs: candidate.foundAs };
    if (outcome === undefined) return;
    if (!outcome.ok) {
      rejected.push({ ...base, info: undefined, reason: `not a working Python interpreter: ${outcome.reason}` });
      return;
    }
    const { info } = outcome;
    if (info.prefix !== info.basePrefix) {
      rejected.push({ ...base, info, reason: `a virtual environment (its base is ${info.basePrefix})` });
      return;
    }
    // A wrapper script and the binary it runs are one interpreter.
    const same = byExecutable.get(info.executable);
    if (same !== undefined) {
      byExecutable.set(info.executable, { ...same, foundAs: [...same.foundAs, ...candidate.foundAs] });
      return;
    }
    byExecutable.set(info.executable, { info, source: candidate.source, foundAs: candidate.foundAs });
  });
  found.push(...byExecutable.values());
  found.sort(compareInterpreters);
  return { found, rejected };
}

/** The first executable named `command` on PATH, pyenv shims included (resolved later) unless skipped. */
async function whichOnPath(env: Env, command: string, skipPyenvShims: boolean): Promise<string | undefined> {
  for (const dir of pathDirs(env)) {
    const file = path.join(dir, command);
    const resolved = await resolveExecutable(file);
    if (!resolved.ok) continue;
    if (skipPyenvShims && (await readFileKind(resolved.realPath)).kind === 'pyenv-shim') continue;
    return file;
  }
  return undefined;
}
