/**
 * Locking a packages part: pip resolves, we record. `pip install --dry-run --ignore-installed
 * --report` (pip >= 22.2), run the way the recipe runs pip (configuration cut off, the part's
 * index and find-links options), lists every distribution the requirements need with its
 * file and hash, without installing anything. It runs with the base interpreter — same
 * markers and wheel tags as the environment's, and the environment need not exist yet.
 */
import { createHash } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError, type ApplyContext, type LockedPackage, type LockResolution, type LockSource } from 'envbuild/recipe';
import { canonicalName, readDeclared, type PackagesOptions } from './declared.js';
import { atLeast, locatePip, pipFailure, PipSession } from './pip.js';
import { failureHint, indexArgs, seedWheel } from './pip-args.js';

/** `--report` appeared in pip 22.2. */
const REPORT_PIP = [22, 2] as const;

export async function lockInputs(input: { options: PackagesOptions; manifestDir: string }): Promise<Record<string, string | null>> {
  return { ...(await readDeclared(input.options, input.manifestDir)).sources };
}

export async function resolvePart(ctx: Omit<ApplyContext<PackagesOptions>, 'previous' | 'locked'>): Promise<LockResolution> {
  const { options, env, manifestDir } = ctx;
  const declared = await readDeclared(options, manifestDir);
  const seed = options['seed-pip'] ? await seedWheel(env) : undefined;
  // Only the seed: pip's wheel requires nothing, so it is its own resolution (no pip run).
  if (declared.pipArgs.length === 0 && seed) return { packages: [await seedOnly(seed)], resolver: 'envbuild (seed-pip)' };
  const pip = await locatePip(env);
  if (!atLeast(pip.version, REPORT_PIP)) {
    return { pinAfterInstall: `pip ${pip.version} has no --report (needs ${REPORT_PIP.join('.')}): pinned to the versions it installed, without hashes` };
  }
  const items = [...declared.pipArgs, ...(seed ? [seed.path] : [])];
  if (items.length === 0) return { packages: [], resolver: `pip ${pip.version} --report` };
  const session = await PipSession.open(env.base.executable, pip);
  try {
    const report = path.join(session.scratch, 'report.json');
    const args = ['--dry-run', '--ignore-installed', '--report', report, ...(await indexArgs(options, manifestDir, env)), ...items, ...(options['extra-args'] ?? [])];
    ctx.log(`resolving ${items.length} requirement${items.length === 1 ? '' : 's'} with pip ${pip.version}`);
    const result = await session.run(ctx, 'install', args, manifestDir);
    if (result.code !== 0) throw pipFailure('resolve the requirements', result, failureHint(options, manifestDir));
    const packages = await fromReport(JSON.parse(await readFile(report, 'utf8')) as PipReport);
    await rm(report, { force: true });
    return { packages, resolver: `pip ${pip.version} --report` };
  } finally {
    await session.close();
  }
}

interface PipReport {
  readonly install?: ReadonlyArray<{
    readonly requested?: boolean;
    readonly is_direct?: boolean;
    readonly download_info?: {
      readonly url?: string;
      readonly archive_info?: { readonly hash?: string; readonly hashes?: Readonly<Record<string, string>> };
      readonly dir_info?: { readonly editable?: boolean };
      readonly vcs_info?: unknown;
    };
    readonly metadata?: { readonly name?: string; readonly version?: string; readonly requires_dist?: readonly string[]; readonly requires_python?: string };
  }>;
}

/** The report's entries as locked packages: file, hash (ours when pip gives none), dependencies within the set. */
async function fromReport(report: PipReport): Promise<LockedPackage[]> {
  const items = report.install ?? [];
  const names = new Set(items.map((i) => canonicalName(i.metadata?.name ?? '')));
  const out: LockedPackage[] = [];
  for (const item of items) {
    const name = item.metadata?.name;
    const version = item.metadata?.version;
    const url = item.download_info?.url;
    if (!name || !version || !url) throw new UserError('ELOCK', `pip's report has an entry without a name, version or URL: ${JSON.stringify(item).slice(0, 200)}`);
    if (item.download_info?.vcs_info !== undefined) {
      throw new UserError('ELOCK', `${name} comes from version control (${url}): envbuild cannot lock it to a file`, {
        hint: 'build a wheel of it and install that, or set `locks: false` in the manifest',
      });
    }
    const deps = (item.metadata?.requires_dist ?? [])
      .map((r) => canonicalName(/^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(r)?.[1] ?? ''))
      .filter((n) => n !== '' && names.has(n) && n !== canonicalName(name));
    const source = await sourceOf(url, item.download_info ?? {}, item.is_direct === true);
    const requiresPython = item.metadata?.requires_python;
    out.push({
      name,
      ...(source.kind === 'directory' ? {} : { version }),
      ...(requiresPython ? { requiresPython } : {}),
      dependencies: [...new Set(deps)].sort(),
      requested: item.requested === true,
      source,
    });
  }
  return out;
}

async function sourceOf(url: string, info: NonNullable<NonNullable<PipReport['install']>[number]['download_info']>, direct: boolean): Promise<LockSource> {
  const local = url.startsWith('file://') ? fileURLToPath(url) : undefined;
  if (info.dir_info !== undefined) {
    if (!local) throw new UserError('ELOCK', `a project directory at ${url} is not local`);
    return { kind: 'directory', path: local, editable: info.dir_info.editable === true };
  }
  const fromPip = info.archive_info?.hashes?.['sha256'] ?? /^sha256=([0-9a-f]{64})$/.exec(info.archive_info?.hash ?? '')?.[1];
  const sha256 = fromPip ?? (local ? await sha256Of(local) : undefined);
  if (!sha256) {
    throw new UserError('ELOCK', `pip gave no sha256 for ${url}`, { hint: 'use an index that publishes sha256 hashes, or download the file into a find-links directory' });
  }
  const where = local ? { path: local } : { url };
  const file = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '');
  if (file.endsWith('.whl')) return { kind: 'wheel', name: file, ...where, sha256 };
  return direct ? { kind: 'archive', ...where, sha256 } : { kind: 'sdist', name: file, ...where, sha256 };
}

async function seedOnly(seed: { path: string; version: string }): Promise<LockedPackage> {
  const file = path.basename(seed.path);
  return { name: 'pip', version: seed.version, dependencies: [], requested: true, source: { kind: 'wheel', name: file, path: seed.path, sha256: await sha256Of(seed.path) } };
}

export async function sha256Of(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}
