/**
 * How the packages recipe runs pip, the same way on every interpreter (2.7 with pip 19, 3.6
 * with pip 18, Debian's 3.11 with its patched pip 23, 3.13 with pip 24):
 *
 * The environment's own interpreter runs pip, imported from a private directory put on
 * PYTHONPATH that holds only a symlink `pip → <the base interpreter's pip package>`. pip then
 * sees exactly what the environment sees (`sys.prefix`, site-packages, a cherry-pick overlay),
 * installs into it with the environment's `bin/python` in script shebangs, and is itself not
 * installed there. `pip --python` would do the same from the base, but needs pip >= 22.3;
 * `--prefix`/`--target` from the base write the base's interpreter into shebangs.
 *
 * pip is started through `runpy` after removing the working directory from `sys.path`: with
 * `python -m pip`, pip < 19.3 imports modules from the working directory (a manifest directory
 * holding an `inspect.py` breaks it). The working directory is still the manifest's, so relative
 * paths inside requirement files mean what they mean to a user running pip there.
 *
 * pip's configuration is cut off (`PIP_CONFIG_FILE=/dev/null`, no `PIP_*`/`PYTHON*` variables
 * inherited): a manifest installs the same things on every machine, whatever /etc/pip.conf says.
 */
import { mkdtemp, readdir, readFile, rm, stat, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { UserError, type ApplyContext, type ExecResult, type RecipeEnvironment } from 'envbuild/recipe';

export interface PipLocation {
  /** Where pip comes from: the base interpreter, the environment itself, or a bundled wheel. */
  readonly source: 'base' | 'env' | 'wheel';
  readonly version: string;
  /** The `pip` package directory, or the wheel file (importable from PYTHONPATH as a zip). */
  readonly location: string;
}

/** pip 10 is the oldest with every flag used here (`--no-warn-script-location`, `--progress-bar`). */
const OLDEST_PIP = [10, 0] as const;

/**
 * The pip to run for `env`, found by reading the disk only: the base's installed pip (so every
 * run uses the same pip, whatever the environment holds), else the environment's own, else the
 * interpreter's bundled wheel (ensurepip's, or Debian's /usr/share/python-wheels).
 */
export async function locatePip(env: RecipeEnvironment): Promise<PipLocation> {
  const looked: string[] = [];
  for (const [source, dir] of [
    ...env.base.globalSitePackages.map((d) => ['base', d] as const),
    ['env', env.sitePackages] as const,
  ]) {
    const pkg = path.join(dir, 'pip');
    looked.push(pkg);
    const version = await pipVersion(pkg);
    if (version !== undefined && atLeast(version, OLDEST_PIP)) return { source, version, location: pkg };
  }
  const wheel = await findBundledWheel(env, 'pip');
  if (wheel) return { source: 'wheel', version: wheel.version, location: wheel.path };
  looked.push(...bundledWheelDirs(env).map((d) => path.join(d, 'pip-*.whl')));
  throw new UserError('ENOPIP', `no pip >= ${OLDEST_PIP.join('.')} found for Python ${env.base.version} (${env.base.executable})`, {
    hint: `looked in ${looked.join(', ')}; install pip for that interpreter (on Debian: apt install python3-pip)`,
  });
}

/**
 * The pip a removal can use without the base interpreter's details (a removed part's context
 * has none): the one recorded at apply, else the environment's own. Undefined when neither is
 * there any more.
 */
export async function locateRecordedPip(recorded: unknown, sitePackages: string): Promise<PipLocation | undefined> {
  if (typeof recorded === 'string' && path.isAbsolute(recorded)) {
    if (recorded.endsWith('.whl')) {
      const version = /pip-([0-9][^-]*)-/.exec(path.basename(recorded))?.[1];
      if (version !== undefined && (await existingFile(recorded))) return { source: 'wheel', version, location: recorded };
    } else {
      const version = await pipVersion(recorded);
      if (version !== undefined) return { source: 'base', version, location: recorded };
    }
  }
  const own = path.join(sitePackages, 'pip');
  const version = await pipVersion(own);
  return version === undefined ? undefined : { source: 'env', version, location: own };
}

async function existingFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

async function pipVersion(pkg: string): Promise<string | undefined> {
  try {
    const init = await readFile(path.join(pkg, '__init__.py'), 'utf8');
    return /__version__\s*=\s*["']([^"']+)["']/.exec(init)?.[1];
  } catch {
    return undefined;
  }
}

export function atLeast(version: string, min: readonly number[]): boolean {
  const parts = version.split('.').map((p) => parseInt(p, 10));
  for (let i = 0; i < min.length; i++) {
    const have = Number.isNaN(parts[i] ?? NaN) ? 0 : (parts[i] as number);
    const want = min[i] as number;
    if (have !== want) return have > want;
  }
  return true;
}

/**
 * Directories of wheels that come with the interpreter or the OS: ensurepip's `_bundled`
 * (pip, and setuptools up to 3.11) and Debian's `/usr/share/python-wheels` (pip, setuptools,
 * wheel — what Debian's ensurepip uses). Only those that exist.
 */
export function bundledWheelDirs(env: RecipeEnvironment): string[] {
  return [path.join(env.base.stdlib, 'ensurepip', '_bundled'), '/usr/share/python-wheels'];
}

export async function existingDirs(dirs: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const d of dirs) {
    try {
      if ((await stat(d)).isDirectory()) out.push(d);
    } catch {
      // absent: nothing bundled there
    }
  }
  return out;
}

/** The newest `<name>-<version>-*.whl` in the first bundled directory that has one. */
export async function findBundledWheel(env: RecipeEnvironment, name: string): Promise<{ path: string; version: string } | undefined> {
  for (const dir of await existingDirs(bundledWheelDirs(env))) {
    const wheels = (await readdir(dir))
      .map((f) => ({ f, m: new RegExp(`^${name}-([0-9][^-]*)-.*\\.whl$`).exec(f) }))
      .filter((w): w is { f: string; m: RegExpExecArray } => w.m !== null)
      .filter((w) => env.base.versionInfo[0] >= 3 || /-py2/.test(w.f))
      .sort((a, b) => compareVersions(a.m[1] as string, b.m[1] as string));
    const newest = wheels.at(-1);
    if (newest) return { path: path.join(dir, newest.f), version: newest.m[1] as string };
  }
  return undefined;
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => parseInt(x, 10) || 0);
  const pb = b.split('.').map((x) => parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

const RUN_PIP =
  "import os, sys\nif sys.path and sys.path[0] in ('', os.getcwd()): del sys.path[0]\n" +
  "import runpy\nrunpy.run_module('pip', run_name='__main__', alter_sys=True)\n";

/** A pip ready to run in one environment; `close()` removes its private PYTHONPATH directory. */
export class PipSession {
  private constructor(
    readonly pip: PipLocation,
    /** The environment's interpreter, which runs pip. */
    readonly python: string,
    /** The private directory: PYTHONPATH (holding the `pip` link) and the working directory of helpers. */
    readonly scratch: string,
  ) {}

  static async open(python: string, pip: PipLocation): Promise<PipSession> {
    const scratch = await mkdtemp(path.join(os.tmpdir(), 'envbuild-pip-'));
    if (pip.source !== 'wheel') await symlink(pip.location, path.join(scratch, 'pip'));
    return new PipSession(pip, python, scratch);
  }

  async close(): Promise<void> {
    await rm(this.scratch, { recursive: true, force: true });
  }

  /** Variables for every Python this session starts: pip's configuration cut off, pip importable. */
  environment(): Record<string, string | undefined> {
    const vars: Record<string, string | undefined> = {};
    for (const key of Object.keys(process.env)) if (/^(PIP_|PYTHON)/.test(key)) vars[key] = undefined;
    return {
      ...vars,
      PIP_CONFIG_FILE: os.devNull,
      PYTHONPATH: this.pip.source === 'wheel' ? this.pip.location : this.scratch,
      // Spelled as variables, not flags: pips that do not know them ignore unknown PIP_ variables.
      PIP_NO_PYTHON_VERSION_WARNING: '1',
      PIP_ROOT_USER_ACTION: 'ignore',
      PYTHONIOENCODING: 'utf-8',
    };
  }

  /** Flags every pip command gets. */
  private commonFlags(): string[] {
    return ['--disable-pip-version-check', '--no-input', '--no-color'];
  }

  run(ctx: Pick<ApplyContext<unknown>, 'exec'>, command: 'install' | 'uninstall', args: readonly string[], cwd: string): Promise<ExecResult> {
    const flags =
      command === 'install'
        ? [...this.commonFlags(), '--no-warn-script-location', '--progress-bar', 'off']
        : [...this.commonFlags(), '--yes'];
    return ctx.exec(this.python, ['-c', RUN_PIP, command, ...flags, ...args], {
      cwd,
      env: this.environment(),
      allowFailure: true,
    });
  }

  describe(): string {
    const from = { base: 'the base interpreter', env: 'the environment', wheel: 'a bundled wheel' }[this.pip.source];
    return `pip ${this.pip.version} from ${from} (${this.pip.location})`;
  }
}

/**
 * pip's own error lines, which say what went wrong better than anything else could:
 * `ERROR: No matching distribution found for nope==1.0`. Older pips print them unprefixed.
 */
export function pipErrorLines(result: ExecResult): string[] {
  const lines = `${result.stderr}\n${result.stdout}`.split(/\r?\n/);
  const errors = lines.filter((l) => /^(ERROR:|error:|Could not find a version|No matching distribution|× )/.test(l.trim()));
  return errors.length > 0 ? dedupe(errors.map((l) => l.trim())) : lines.filter((l) => l.trim() !== '').slice(-15);
}

function dedupe(lines: string[]): string[] {
  return [...new Set(lines)];
}

export function pipFailure(what: string, result: ExecResult, hint: string): UserError {
  const lines = pipErrorLines(result).map((l) => `  ${l}`);
  return new UserError('EPIP', `pip could not ${what} (exit ${result.code}):\n${lines.join('\n')}`, { hint });
}
