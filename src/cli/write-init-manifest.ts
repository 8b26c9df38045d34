import fs from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../errors/user-error.js';
import { listInterpreters } from '../python/index.js';
import { MANIFEST_NAME } from './find-manifest.js';
import { renderInitManifest, type InitFindings } from './init-manifest.js';

const SCHEMA_URL = 'https://envbuild.dev/schemas/envbuild.schema.json';

/** Looks at `dir` and this machine, and writes `dir/env.yaml`; returns its path. */
export async function writeInitManifest(dirArg: string, cwd: string, force: boolean): Promise<string> {
  const dir = path.resolve(cwd, dirArg);
  const file = path.join(dir, MANIFEST_NAME);
  if (!force && (await exists(file))) {
    throw new UserError('EEXIST', `${file} already exists`, { hint: 'edit it, or pass --force to replace it' });
  }
  const interpreters = (await listInterpreters()).map((f) => ({
    version: f.info.version,
    executable: f.info.executable,
    implementation: f.info.implementation,
  }));
  const findings: InitFindings = {
    interpreters,
    requirements: await exists(path.join(dir, 'requirements.txt')),
    venvs: await findVenvs(dir),
  };
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(file, renderInitManifest(findings, SCHEMA_URL), { flag: force ? 'w' : 'wx' });
  return file;
}

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(
    () => true,
    () => false,
  );
}

/** Directories directly inside `dir` that hold a pyvenv.cfg, with the version it records. */
async function findVenvs(dir: string): Promise<InitFindings['venvs']> {
  let names: string[];
  try {
    names = (await fs.readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  } catch {
    return [];
  }
  const out: Array<{ path: string; version: string | null }> = [];
  for (const name of names) {
    let cfg: string;
    try {
      cfg = await fs.readFile(path.join(dir, name, 'pyvenv.cfg'), 'utf8');
    } catch {
      continue;
    }
    const version = /^\s*(?:version|version_info)\s*=\s*(\d+\.\d+(?:\.\d+)?)/m.exec(cfg)?.[1] ?? null;
    out.push({ path: name, version });
  }
  return out;
}
