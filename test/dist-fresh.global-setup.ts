/**
 * The e2e tests run the built CLI (dist/). After an edit of src/ or recipes/, a plain
 * `npx vitest run` would silently test the old build; this rebuilds first when any source is
 * newer than the build (or there is none), so what passes is what was written.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SOURCES = ['src', 'recipes', 'schemas', 'scripts/bundle.mjs', 'package.json', 'tsconfig.build.json'];

function newest(p: string): number {
  const st = fs.statSync(p, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...fs.readdirSync(p).map((n) => newest(path.join(p, n))));
}

export function buildIsStale(root = ROOT): string | null {
  const built = fs.statSync(path.join(root, 'dist', 'index.mjs'), { throwIfNoEntry: false });
  if (!built) return 'there is no dist/index.mjs';
  const changed = SOURCES.find((s) => newest(path.join(root, s)) > built.mtimeMs);
  return changed ? `${changed} is newer than dist/` : null;
}

export default function setup(): void {
  const why = buildIsStale();
  if (why === null) return;
  console.log(`dist/ is stale (${why}): running npm run build before the tests`);
  const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('npm run build failed: the e2e tests would run a stale or missing dist/');
  const still = buildIsStale();
  if (still !== null) throw new Error(`dist/ is still stale after npm run build (${still})`);
}
