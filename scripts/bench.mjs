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

// Interpreter start-up: what an environment adds to every `python` run. Paired runs, order
// alternated each round, and the median of the per-pair differences.
function pairedStartup(label, a, b, pairs = Math.max(RUNS * 3, 60)) {
  const once = (exe) => time(exe, ['-c', 'pass'], { cwd: '/', env: { PATH: '/usr/bin:/bin', HOME: work } });
  const diffs = [];
  const as = [];
  const bs = [];
  for (let i = 0; i < pairs + 3; i++) {
    const [ta, tb] = i % 2 === 0 ? [once(a), once(b)] : [once(b), once(a)].reverse();
    if (i < 3) continue;
    as.push(ta);
    bs.push(tb);
    diffs.push(tb - ta);
  }
  const d = median(diffs);
  console.log(`  ${label.padEnd(44)}${fmt(median(as))} → ${median(bs).toFixed(2)} ms  (${d >= 0 ? '+' : '−'}${Math.abs(d).toFixed(2)} ms per start)`);
  return d;
}

console.log('\nInterpreter start-up, `python -c pass` (median of paired differences):');
const picked = path.join(work, 'startup');
fs.mkdirSync(picked, { recursive: true });
fs.writeFileSync(
  path.join(picked, 'env.yaml'),
  `envbuild: 1\nenvironments:\n  full:\n    python: ${PY}\n  picked:\n    python: ${PY}\n    isolation:\n      mode: cherry-pick\n      allow: [PyYAML, six]\n`,
);
time(process.execPath, [cli, 'apply', path.join(picked, 'env.yaml')]);
const cp = pairedStartup('full env → cherry-pick env (python3.11)', path.join(picked, 'envs/full/bin/python'), path.join(picked, 'envs/picked/bin/python'));
console.log(`  target: ≤ 0.5 ms  →  ${cp <= 0.5 ? 'met' : 'not met'}`);

const py27 = path.join(process.env.PYENV_ROOT ?? path.join(os.homedir(), '.pyenv'), 'versions', '2.7.18', 'bin', 'python2.7');
if (fs.existsSync(py27)) {
  const classic = path.join(work, 'classic');
  fs.mkdirSync(classic, { recursive: true });
  fs.writeFileSync(path.join(classic, 'env.yaml'), `envbuild: 1\nenvironments:\n  old:\n    python: ${py27}\n`);
  time(process.execPath, [cli, 'apply', path.join(classic, 'env.yaml')]);
  const cl = pairedStartup('base python2.7 → classic env', py27, path.join(classic, 'envs/old/bin/python'));
  console.log(`  target: ≤ 1 ms  →  ${cl <= 1 ? 'met' : 'not met'}`);
} else {
  console.log(`  classic env vs base python2.7            (skipped: ${py27} not found)`);
}

// Locks: resolving 20 wheels (`envbuild lock`) and a fresh environment installed from the lock
// (`apply --locked`), against a fresh `venv` + plain `pip install` of the same wheels, paired.
console.log('\nLocks, 20 local wheels (fresh environment each run):');
const lockRuns = Math.min(RUNS, 5);
const wheelhouse = path.join(work, 'wheelhouse');
spawnSync(PY, ['-c', `
import os, sys, zipfile, hashlib, base64
d = sys.argv[1]; os.makedirs(d, exist_ok=True)
for i in range(20):
    n = 'w%d' % i; di = n + '-1.0.dist-info'
    files = {n + '.py': 'X = %d\\n' % i, di + '/METADATA': 'Metadata-Version: 2.1\\nName: %s\\nVersion: 1.0\\n' % n,
             di + '/WHEEL': 'Wheel-Version: 1.0\\nGenerator: bench\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n'}
    rec = ''.join('%s,sha256=%s,%d\\n' % (k, base64.urlsafe_b64encode(hashlib.sha256(v.encode()).digest()).rstrip(b'=').decode(), len(v)) for k, v in files.items())
    with zipfile.ZipFile(os.path.join(d, n + '-1.0-py3-none-any.whl'), 'w') as z:
        for k, v in files.items(): z.writestr(k, v)
        z.writestr(di + '/RECORD', rec + di + '/RECORD,,\\n')
`, wheelhouse]);
const names = Array.from({ length: 20 }, (_, i) => `w${i}`);
const lockProject = path.join(work, 'lock-src');
fs.mkdirSync(lockProject, { recursive: true });
fs.writeFileSync(
  path.join(lockProject, 'env.yaml'),
  `envbuild: 1\nenvironments:\n  app:\n    python: ${PY}\n    parts:\n      deps:\n        recipe: packages\n        requirements: [${names.join(', ')}]\n        find-links: [${wheelhouse}]\n        no-index: true\n`,
);
time(process.execPath, [cli, 'lock', path.join(lockProject, 'env.yaml')]);
const locks = { lock: [], locked: [], pip: [] };
const pipEnv = { ...env, PIP_CONFIG_FILE: os.devNull, PIP_FIND_LINKS: '' };
for (let i = 0; i < lockRuns; i++) {
  locks.lock.push(time(process.execPath, [cli, 'lock', path.join(lockProject, 'env.yaml')]));
  const copy = path.join(work, `lock-copy-${i}`);
  fs.mkdirSync(copy);
  for (const f of ['env.yaml', 'pylock.app.toml']) fs.copyFileSync(path.join(lockProject, f), path.join(copy, f));
  locks.locked.push(time(process.execPath, [cli, 'apply', '--locked', path.join(copy, 'env.yaml')]));
  const plain = path.join(work, `lock-pip-${i}`);
  locks.pip.push(
    time(PY, ['-m', 'venv', '--without-pip', plain]) +
      time(PY, ['-m', 'pip', '--python', path.join(plain, 'bin', 'python'), 'install', '--disable-pip-version-check', '-q', '--no-index', '-f', wheelhouse, ...names], { env: pipEnv }),
  );
}
const pipMedian = row('venv --without-pip + pip install (20 wheels)', locks.pip);
row('envbuild lock (resolve 20 wheels)', locks.lock, pipMedian);
row('envbuild apply --locked (fresh env, 20 wheels)', locks.locked, pipMedian);

fs.rmSync(work, { recursive: true, force: true });
