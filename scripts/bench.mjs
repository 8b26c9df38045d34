#!/usr/bin/env node
// Compares envbuild with its peers in one run, on this machine, and prints medians and ratios.
// Usage: npm run bench [-- --runs N]     (needs a built dist/: npm install does that)
//
// Every measurement spawns a fresh process, as a user would, and the contenders are
// interleaved run by run so that drift in machine load hits them alike.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.join(here, '..', 'bin', 'envbuild.js');
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 21;
const PY = '/usr/bin/python3.11';
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'envbuild-bench-'));
const env = { ...process.env, XDG_CACHE_HOME: path.join(work, 'cache'), CI: 'true' };

function time(cmd, args, opts = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'], ...opts });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return ms;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (ms) => `${ms.toFixed(1).padStart(7)} ms`;

function manifest(dir, names, python = PY) {
  fs.mkdirSync(dir, { recursive: true });
  const envs = names.map((n) => `  ${n}:\n    python: ${python}\n`).join('');
  fs.writeFileSync(path.join(dir, 'env.yaml'), `envbuild: 1\nenvironments:\n${envs}`);
  return path.join(dir, 'env.yaml');
}

function row(label, samples, baseline) {
  const m = median(samples);
  const ratio = baseline ? `  ×${(m / baseline).toFixed(2)}` : '';
  console.log(`  ${label.padEnd(44)}${fmt(m)}${ratio}`);
  return m;
}

if (!fs.existsSync(PY)) {
  console.error(`bench: ${PY} is required`);
  process.exit(1);
}
const virtualenv = ['/usr/bin/virtualenv', path.join(os.homedir(), '.local/bin/virtualenv')].find((p) => fs.existsSync(p));

// Warm the interpreter probe cache once, as any second use of envbuild would find it.
time(process.execPath, [cli, 'apply', manifest(path.join(work, 'warm'), ['w'])]);

console.log(`envbuild benchmark — ${RUNS} runs each, medians (node ${process.version}, ${os.cpus().length} cores)\n`);
console.log('Fresh environment (one env, full isolation, Debian python3.11):');
const fresh = { envbuild: [], venv: [], virtualenv: [] };
for (let i = 0; i < RUNS; i++) {
  const d = path.join(work, `fresh-${i}`);
  fresh.envbuild.push(time(process.execPath, [cli, 'apply', manifest(path.join(d, 'eb'), ['app'])]));
  fresh.venv.push(time(PY, ['-m', 'venv', '--without-pip', path.join(d, 'venv')]));
  if (virtualenv) fresh.virtualenv.push(time(virtualenv, ['--no-seed', '--no-periodic-update', path.join(d, 'virtualenv')]));
}
const venvMedian = row('python3.11 -m venv --without-pip', fresh.venv);
row('envbuild apply', fresh.envbuild, venvMedian);
if (virtualenv) row('virtualenv --no-seed', fresh.virtualenv, venvMedian);
else console.log('  virtualenv --no-seed                        (not installed: apt-get install python3-virtualenv)');
console.log('  target: envbuild ≤ ×2.00 of venv --without-pip');

console.log('\nNo-op re-apply of a 10-environment manifest:');
const ten = manifest(path.join(work, 'ten'), Array.from({ length: 10 }, (_, i) => `env${i}`));
time(process.execPath, [cli, 'apply', ten]);
const noop = [];
const nodeFloor = [];
for (let i = 0; i < RUNS; i++) {
  nodeFloor.push(time(process.execPath, ['-e', '']));
  noop.push(time(process.execPath, [cli, 'apply', ten]));
}
const floor = row("node -e '' (start-up floor)", nodeFloor);
const n = row('envbuild apply (nothing to do)', noop, floor);
console.log(`  target: ≤ 150 ms  →  ${n <= 150 ? 'met' : 'not met'} (${n.toFixed(1)} ms)`);

fs.rmSync(work, { recursive: true, force: true });
