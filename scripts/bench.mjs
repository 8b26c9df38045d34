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


// ---- The wheel installer (issue 13): envbuild's own installer and shared cache vs pip. ----
// envbuild's side is `envbuild apply` (a fresh env) followed by one node process that installs
// the wheels with the library API (dist/index.mjs) — two processes, so it is measured
// conservatively. pip's side is `python3.11 -m venv --without-pip` then Debian's pip acting on
// the env (`--python`), which is faster than seeding pip into every venv first.
function makeWheelhouse(dir) {
  // Debian's wheels (pip, setuptools, wheel) plus generated pure ones (40 modules each): 20 wheels.
  const script = `
import base64, hashlib, os, sys, zipfile, shutil, glob
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
real = glob.glob('/usr/share/python-wheels/*.whl')
for whl in real:
    shutil.copy(whl, out)
def h(b): return 'sha256=' + base64.urlsafe_b64encode(hashlib.sha256(b).digest()).rstrip(b'=').decode()
for i in range(20 - len(real)):
    name = 'benchpkg%02d' % i
    di = name + '-1.0.dist-info'
    files = [('%s/m%02d.py' % (name, j), ('X = %d\\n' % j + '# filler line\\n' * 150).encode()) for j in range(40)]
    files.append((name + '/__init__.py', b''))
    files.append((di + '/METADATA', ('Metadata-Version: 2.1\\nName: %s\\nVersion: 1.0\\n' % name).encode()))
    files.append((di + '/WHEEL', b'Wheel-Version: 1.0\\nGenerator: bench\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n'))
    files.append((di + '/entry_points.txt', ('[console_scripts]\\n%s = %s:main\\n' % (name, name)).encode()))
    record = ''.join('%s,%s,%d\\n' % (p, h(b), len(b)) for p, b in files) + di + '/RECORD,,\\n'
    with zipfile.ZipFile(os.path.join(out, name + '-1.0-py3-none-any.whl'), 'w', zipfile.ZIP_DEFLATED) as z:
        for p, b in files: z.writestr(p, b)
        z.writestr(di + '/RECORD', record)
`;
  const r = spawnSync(PY, ['-c', script, dir], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('bench: cannot build the wheelhouse');
  return fs.readdirSync(dir).filter((f) => f.endsWith('.whl')).map((f) => path.join(dir, f));
}

const dist = path.join(here, '..', 'dist', 'index.mjs');
const installRunner = path.join(work, 'install-runner.mjs');
fs.writeFileSync(
  installRunner,
  `import { pathToFileURL } from 'node:url';
const m = await import(pathToFileURL(${JSON.stringify(dist)}).href);
const { prefixes, wheels } = JSON.parse(process.argv[2]);
const tags = m.supportedTags({ implementation: 'cpython', versionInfo: [3, 11, 2], soabi: 'cpython-311-x86_64-linux-gnu', wheelPlatform: { platform: 'linux-x86_64', glibc: '2.36', gilDisabled: false, maxUnicode: 1114111 } });
const target = (prefix) => ({ prefix, python: prefix + '/bin/python', purelib: prefix + '/lib/python3.11/site-packages', platlib: prefix + '/lib/python3.11/site-packages', scripts: prefix + '/bin', headers: prefix + '/include/site/python3.11', data: prefix, tags, pythonVersion: '3.11' });
await Promise.all(prefixes.map((p) => m.installWheels(target(p), wheels.map((w) => ({ path: w, requested: true })))));
`,
);
const INSTALL_RUNS = Math.min(RUNS, 7);
const wheelhouse = path.join(work, 'wheelhouse');
const wheels = makeWheelhouse(wheelhouse);
const names = wheels.map((w) => path.basename(w).split('-')[0]);
const installCache = path.join(work, 'install-cache');
const envWithCache = (cacheDir) => ({ ...env, ENVBUILD_CACHE_DIR: cacheDir });

/** envbuild: apply a manifest of `count` fresh envs, then install `list` into each. */
function envbuildFill(dir, count, list, cacheDir) {
  const envNames = Array.from({ length: count }, (_, i) => `e${i}`);
  const t1 = time(process.execPath, [cli, 'apply', manifest(dir, envNames)], { env: envWithCache(cacheDir) });
  const prefixes = envNames.map((n) => path.join(dir, 'envs', n));
  const t2 = time(process.execPath, [installRunner, JSON.stringify({ prefixes, wheels: list })], { env: envWithCache(cacheDir) });
  return t1 + t2;
}
function pipFill(dir) {
  const venv = path.join(dir, 'venv');
  const t1 = time(PY, ['-m', 'venv', '--without-pip', venv]);
  const t2 = time(PY, ['-m', 'pip', '--isolated', '--disable-pip-version-check', '--python', path.join(venv, 'bin/python'), 'install', '--no-index', '--no-deps', '-q', '-f', wheelhouse, ...names]);
  return t1 + t2;
}
const ratioLine = (label, ours, theirs, target) => {
  const r = ours / theirs;
  console.log(`  ${label.padEnd(58)} ×${r.toFixed(3)}  target ≤ ×${target}  →  ${r <= target ? 'met' : 'not met'}`);
};

console.log(`\nFresh environment + ${wheels.length} wheels (${INSTALL_RUNS} runs, medians):`);
envbuildFill(path.join(work, 'warmup'), 1, wheels, installCache); // fill the cache once
const fill = { warm: [], cold: [], pip: [] };
for (let i = 0; i < INSTALL_RUNS; i++) {
  const d = path.join(work, `fill-${i}`);
  fill.pip.push(pipFill(path.join(d, 'pip')));
  fill.warm.push(envbuildFill(path.join(d, 'warm'), 1, wheels, installCache));
  const cold = path.join(d, 'cold-cache');
  fill.cold.push(envbuildFill(path.join(d, 'cold'), 1, wheels, cold));
  fs.rmSync(cold, { recursive: true, force: true });
}
const pipM = row('venv --without-pip + pip install --no-index -f', fill.pip);
const warmM = row('envbuild apply + installer, warm cache', fill.warm, pipM);
const coldM = row('envbuild apply + installer, cold cache', fill.cold, pipM);
ratioLine('warm cache vs pip', warmM, pipM, 0.1);
ratioLine('cold cache vs pip', coldM, pipM, 0.25);

console.log('\nseed-pip (an environment with pip, from the bundled wheel):');
const pipWheel = wheels.filter((w) => path.basename(w).startsWith('pip-'));
const seed = { envbuild: [], venv: [], virtualenv: [] };
for (let i = 0; i < INSTALL_RUNS; i++) {
  const d = path.join(work, `seed-${i}`);
  seed.venv.push(time(PY, ['-m', 'venv', path.join(d, 'venv')]));
  seed.envbuild.push(envbuildFill(path.join(d, 'eb'), 1, pipWheel, installCache));
  if (virtualenv) seed.virtualenv.push(time(virtualenv, ['--no-periodic-update', '--no-setuptools', '--no-wheel', path.join(d, 'virtualenv')]));
}
const seedVenv = row('python3.11 -m venv (ensurepip)', seed.venv);
const seedEb = row('envbuild apply + pip wheel via the cache', seed.envbuild, seedVenv);
if (virtualenv) {
  const seedVe = row('virtualenv (pip seeded, warm app-data)', seed.virtualenv, seedVenv);
  ratioLine('envbuild vs virtualenv', seedEb, seedVe, 1.0);
}
ratioLine('envbuild vs python -m venv', seedEb, seedVenv, 0.1);

console.log(`\nTen environments sharing ${wheels.length} wheels (fresh, warm cache, filled in parallel):`);
const many = { one: [], ten: [] };
for (let i = 0; i < INSTALL_RUNS; i++) {
  const d = path.join(work, `many-${i}`);
  many.one.push(envbuildFill(path.join(d, 'one'), 1, wheels, installCache));
  many.ten.push(envbuildFill(path.join(d, 'ten'), 10, wheels, installCache));
}
const oneM = row('one environment', many.one);
const tenM = row('ten environments', many.ten, oneM);
ratioLine('ten vs one', tenM, oneM, 2);

const du = (paths) => Number(spawnSync('du', ['-sk', '--total', ...paths], { encoding: 'utf8' }).stdout.trim().split('\n').pop().split('\t')[0]);
const tenDir = path.join(work, 'many-0', 'ten', 'envs');
const oneKb = du([path.join(work, 'many-0', 'one', 'envs', 'e0')]);
const tenKb = du(fs.readdirSync(tenDir).map((n) => path.join(tenDir, n)));
console.log(`\nDisk (du -sk, hard links counted once): one env ${oneKb} KiB, ten envs ${tenKb} KiB`);
ratioLine('ten vs one (disk)', tenKb, oneKb, 1.2);

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
