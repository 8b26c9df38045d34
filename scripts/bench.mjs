#!/usr/bin/env node
// Compares envbuild with its peers in one run, on this machine, and prints medians, ratios and
// whether each target is met. Usage: npm run bench [-- --runs N] [-- --quick] [-- --only NAME]
//   --runs N    runs per paired measurement (default 15)
//   --quick     leave out the 1,000-environment row of the scale table
//   --only a,b  run only these scenarios (names as in SCENARIOS below)
//   --cpu       compare CPU time (perf stat task-clock) instead of wall time: on a machine
//               shared with other work, wall times mostly measure the wait for a core
// Needs a built dist/ (npm install does that).
//
// Every measurement spawns a fresh process, as a user would. Contenders are interleaved run by
// run (paired) so that drift in machine load hits them alike; ratios are medians of the
// per-round ratios. Peak RSS comes from /usr/bin/time when present.
//
// Adding a scenario: write `async function myScenario(ctx)` that prints its rows and calls
// `target(name, ratio, limit)` for each target, and add it to SCENARIOS.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.join(here, '..', 'bin', 'envbuild.js');
const arg = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const RUNS = Number(arg('--runs') ?? 15);
const QUICK = process.argv.includes('--quick');
const ONLY = arg('--only')?.split(',');
const PY = '/usr/bin/python3.11';
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'envbuild-bench-'));
const env = { ...process.env, XDG_CACHE_HOME: path.join(work, 'cache'), CI: 'true' };
const GNU_TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
const CPU = process.argv.includes('--cpu');
const PERF = ['/usr/bin/perf', '/usr/local/bin/perf'].find((p) => fs.existsSync(p));
if (CPU && !PERF) {
  console.error('bench: --cpu needs perf (apt-get install linux-perf)');
  process.exit(1);
}

// ---------------------------------------------------------------------------------------------
// Measuring

/**
 * Time of one run in ms — wall time, or with --cpu the CPU time of the process and its
 * children — and peak RSS in MB with `rss: true`. Throws when it fails.
 */
function run(cmd, args, { rss = false, ...opts } = {}) {
  let [exe, argv] = rss && GNU_TIME ? [GNU_TIME, ['-f', 'peak-rss-kb %M', cmd, ...args]] : [cmd, args];
  if (CPU) [exe, argv] = [PERF, ['stat', '-x,', '-e', 'task-clock', exe, ...argv]];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(exe, argv, { env, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26, ...opts });
  let ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}): ${String(r.stderr).slice(-2000)}`);
  if (CPU) ms = Number(/^([\d.]+),msec,task-clock/m.exec(String(r.stderr))?.[1] ?? NaN);
  const kb = /peak-rss-kb (\d+)/.exec(String(r.stderr))?.[1];
  return { ms, rssMb: kb ? Number(kb) / 1024 : NaN };
}
const time = (cmd, args, opts) => run(cmd, args, opts).ms;
const envbuild = (...args) => [process.execPath, [cli, ...args]];
const NODE_FLOOR = [process.execPath, ['-e', '']];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (ms) => `${ms.toFixed(1).padStart(8)} ms`;

/**
 * Runs each contender once per round, in an order that rotates each round, `RUNS` rounds (after
 * `setup(round)` when given, e.g. to make a fresh directory). Returns medians and, for each
 * contender, the median of its per-round ratio to the first (the baseline).
 */
function paired(contenders, { runs = RUNS, setup } = {}) {
  const samples = contenders.map(() => []);
  for (let r = 0; r < runs; r++) {
    const args = setup ? setup(r) : null;
    const order = contenders.map((_, i) => (i + r) % contenders.length);
    for (const i of order) {
      const c = contenders[i];
      const [cmd, argv] = typeof c.cmd === 'function' ? c.cmd(args) : c.cmd;
      samples[i].push(time(cmd, argv));
    }
  }
  return contenders.map((c, i) => ({
    label: c.label,
    median: median(samples[i]),
    ratio: median(samples[i].map((t, r) => t / samples[0][r])),
  }));
}

function printRows(rows) {
  for (const [i, r] of rows.entries()) console.log(`  ${r.label.padEnd(52)}${fmt(r.median)}${i === 0 ? '' : `  ×${r.ratio.toFixed(2)}`}`);
}

const targets = [];
/** Records a target: `ratio` must be ≤ `limit`. */
function target(name, ratio, limit, detail = '') {
  targets.push({ name, ratio, limit, met: ratio <= limit, detail });
}

// ---------------------------------------------------------------------------------------------
// Fixtures

function manifest(dir, names, { python = PY, extra = '' } = {}) {
  fs.mkdirSync(dir, { recursive: true });
  const envs = names.map((n) => `  ${n}:\n    python: ${python}\n${extra}`).join('');
  fs.writeFileSync(path.join(dir, 'env.yaml'), `envbuild: 1\nenvironments:\n${envs}`);
  return path.join(dir, 'env.yaml');
}
const names = (n) => Array.from({ length: n }, (_, i) => `env${i}`);
// A packages part that installs `wheel` from the wheels bundled with Debian's Python: no network.
const PACKAGES_PART = '    parts:\n      deps:\n        recipe: packages\n        requirements: [wheel]\n        no-index: true\n        bundled-wheels: true\n';
const virtualenv = ['/usr/bin/virtualenv', path.join(os.homedir(), '.local/bin/virtualenv')].find((p) => fs.existsSync(p));

// ---------------------------------------------------------------------------------------------
// Scenarios

function freshOne() {
  console.log('Fresh apply of one environment (full isolation, Debian python3.11), paired:');
  const dirs = [];
  const contenders = [
    { label: "node -e '' (start-up floor)", cmd: NODE_FLOOR },
    { label: 'envbuild apply (one new environment)', cmd: (d) => envbuild('apply', manifest(path.join(d, 'eb'), ['app'])) },
    { label: 'python3.11 -m venv --without-pip', cmd: (d) => [PY, ['-m', 'venv', '--without-pip', path.join(d, 'venv')]] },
  ];
  if (virtualenv) contenders.push({ label: 'virtualenv --no-seed', cmd: (d) => [virtualenv, ['--no-seed', '--no-periodic-update', path.join(d, 'virtualenv')]] });
  const rows = paired(contenders, { setup: (r) => (dirs[r] = path.join(work, `fresh-${r}`)) });
  printRows(rows);
  target('fresh one-env apply ≤ 1.4× node', rows[1].ratio, 1.4);
  if (virtualenv) target('fresh one-env apply ≤ 0.5× virtualenv --no-seed', rows[1].ratio / rows[3].ratio, 0.5);
  else console.log('  virtualenv not installed (apt-get install python3-virtualenv): target skipped');
  console.log(`  envbuild / venv --without-pip: ×${(rows[1].ratio / rows[2].ratio).toFixed(2)}`);
}

function noopTen() {
  console.log('\nNo-op re-apply of 10 environments, paired:');
  const plain = manifest(path.join(work, 'ten'), names(10));
  const withParts = manifest(path.join(work, 'ten-packages'), names(10), { extra: PACKAGES_PART });
  time(...envbuild('apply', plain));
  time(...envbuild('apply', withParts));
  const rows = paired([
    { label: "node -e ''", cmd: NODE_FLOOR },
    { label: 'envbuild apply (nothing to do)', cmd: envbuild('apply', plain) },
    { label: 'envbuild apply, each env with a packages part', cmd: envbuild('apply', withParts) },
  ]);
  printRows(rows);
  target('no-op of 10 envs ≤ 1.25× node', rows[1].ratio, 1.25);
  target('no-op of 10 envs with packages parts ≤ 1.25× node', rows[2].ratio, 1.25);
}

function scale() {
  console.log('\nScale (one fresh apply each; no-op, plan, validate paired with node):');
  const sizes = QUICK ? [1, 10, 100] : [1, 10, 100, 1000];
  // The fresh baseline: one `venv --without-pip`, paired with node, scaled by N.
  const venv = paired(
    [
      { label: "node -e ''", cmd: NODE_FLOOR },
      { label: 'venv --without-pip', cmd: (d) => [PY, ['-m', 'venv', '--without-pip', d]] },
    ],
    { runs: Math.min(RUNS, 7), setup: (r) => path.join(work, `venv-${r}`) },
  );
  const venvMs = venv[1].median;
  console.log(`  one python3.11 -m venv --without-pip: ${venvMs.toFixed(1)} ms (×${venv[1].ratio.toFixed(2)} node)\n`);
  console.log(`  ${'envs'.padStart(6)} ${'fresh'.padStart(10)} ${'per env'.padStart(9)} ${'vs N×venv'.padStart(10)} ${'no-op ×node'.padStart(12)} ${'plan ×node'.padStart(11)} ${'validate ×node'.padStart(15)} ${'peak RSS'.padStart(9)}`);
  const perEnv = {};
  for (const n of sizes) {
    const file = manifest(path.join(work, `scale-${n}`), names(n));
    const fresh = run(...envbuild('apply', file), { rss: true });
    perEnv[n] = fresh.ms / n;
    const runs = n >= 1000 ? Math.min(RUNS, 5) : Math.min(RUNS, 9);
    const rows = paired(
      [
        { label: 'node', cmd: NODE_FLOOR },
        { label: 'no-op', cmd: envbuild('apply', file) },
        { label: 'plan', cmd: envbuild('plan', file) },
        { label: 'validate', cmd: envbuild('validate', file) },
      ],
      { runs },
    );
    const noopRss = run(...envbuild('apply', file), { rss: true }).rssMb;
    const rss = Math.max(fresh.rssMb, noopRss);
    const vsVenv = fresh.ms / (n * venvMs);
    console.log(
      `  ${String(n).padStart(6)} ${(fresh.ms / 1000).toFixed(2).padStart(8)} s ${perEnv[n].toFixed(1).padStart(6)} ms ${vsVenv.toFixed(2).padStart(10)} ${rows[1].ratio.toFixed(2).padStart(12)} ${rows[2].ratio.toFixed(2).padStart(11)} ${rows[3].ratio.toFixed(2).padStart(15)} ${`${rss.toFixed(0)} MB`.padStart(9)}`,
    );
    if (n === 100) target('fresh apply of 100 envs ≤ 0.3× 100 × venv --without-pip', vsVenv, 0.3);
    if (n === 1000) {
      target('no-op of 1,000 envs ≤ 4× node', rows[1].ratio, 4);
      target('plan of 1,000 envs ≤ 4× node', rows[2].ratio, 4);
      target('validate of 1,000 envs ≤ 4× node', rows[3].ratio, 4);
      target('fresh 1,000: per-env time ≤ 1.5× that at 100', perEnv[1000] / perEnv[100], 1.5);
      target('fresh 1,000: peak RSS ≤ 150 MB (as MB/150)', rss / 150, 1, `${rss.toFixed(0)} MB`);
    }
  }
}

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
  console.log(`  ${label.padEnd(52)}${fmt(median(as))} → ${median(bs).toFixed(2)} ms  (${d >= 0 ? '+' : '−'}${Math.abs(d).toFixed(2)} ms per start)`);
  return d;
}

function interpreterStartup() {
  console.log('\nInterpreter start-up, `python -c pass` (median of paired differences):');
  const picked = path.join(work, 'startup');
  fs.mkdirSync(picked, { recursive: true });
  fs.writeFileSync(
    path.join(picked, 'env.yaml'),
    `envbuild: 1\nenvironments:\n  full:\n    python: ${PY}\n  picked:\n    python: ${PY}\n    isolation:\n      mode: cherry-pick\n      allow: [PyYAML, six]\n`,
  );
  time(...envbuild('apply', path.join(picked, 'env.yaml')));
  const cp = pairedStartup('full env → cherry-pick env (python3.11)', path.join(picked, 'envs/full/bin/python'), path.join(picked, 'envs/picked/bin/python'));
  // Differences, not ratios: the limit is in ms (a ratio of 1 means "at the limit").
  target('cherry-pick start-up overhead ≤ 0.5 ms (as ms/0.5)', cp / 0.5, 1, `${cp.toFixed(2)} ms`);
  const py27 = path.join(process.env.PYENV_ROOT ?? path.join(os.homedir(), '.pyenv'), 'versions', '2.7.18', 'bin', 'python2.7');
  if (!fs.existsSync(py27)) {
    console.log(`  classic env vs base python2.7 (skipped: ${py27} not found)`);
    return;
  }
  const classic = path.join(work, 'classic');
  fs.mkdirSync(classic, { recursive: true });
  fs.writeFileSync(path.join(classic, 'env.yaml'), `envbuild: 1\nenvironments:\n  old:\n    python: ${py27}\n`);
  time(...envbuild('apply', path.join(classic, 'env.yaml')));
  const cl = pairedStartup('base python2.7 → classic env', py27, path.join(classic, 'envs/old/bin/python'));
  target('classic start-up overhead ≤ 1 ms (as ms/1)', cl, 1, `${cl.toFixed(2)} ms`);
}

function installer() {
  // ---- The wheel installer (issue 13): envbuild's own installer and shared cache vs pip. ----
  // envbuild's side is one `envbuild apply --locked` of a fresh copy of a project whose
  // environment has a packages part requiring 20 wheels from a local wheelhouse (locked once
  // beforehand with `envbuild lock`). pip's side is `python3.11 -m venv --without-pip` then
  // Debian's pip acting on the env (`--python`), which is faster than seeding pip first.
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

  const INSTALL_RUNS = Math.min(RUNS, 7);
  const wheelhouse = path.join(work, 'wheelhouse');
  const wheels = makeWheelhouse(wheelhouse);
  const wheelNames = wheels.map((w) => path.basename(w).split('-')[0]);
  const warmCache = path.join(work, 'install-cache');
  const withCache = (cacheDir) => ({ env: { ...env, ENVBUILD_CACHE_DIR: cacheDir } });
  const part = `    parts:\n      deps:\n        recipe: packages\n        requirements: [${wheelNames.join(', ')}]\n        find-links: [${wheelhouse}]\n        no-index: true\n`;

  /** A project of `count` environments with the packages part, locked once; returns a function copying it fresh. */
  function lockedProject(label, count) {
    const src = path.join(work, `${label}-src`);
    const envNames = Array.from({ length: count }, (_, i) => `e${i}`);
    manifest(src, envNames, { extra: part });
    run(process.execPath, [cli, 'lock', path.join(src, 'env.yaml')], withCache(warmCache));
    let n = 0;
    return () => {
      const dir = path.join(work, `${label}-${n++}`);
      fs.cpSync(src, dir, { recursive: true });
      return dir;
    };
  }
  /** An empty cache dir holding only the interpreter probe cache: the wheel cache is cold. */
  function coldCache() {
    const dir = fs.mkdtempSync(path.join(work, 'cold-cache-'));
    for (const f of fs.readdirSync(warmCache)) if (f.endsWith('.json')) fs.copyFileSync(path.join(warmCache, f), path.join(dir, f));
    return dir;
  }
  const applyLocked = (dir, cacheDir) => time(process.execPath, [cli, 'apply', '--locked', path.join(dir, 'env.yaml')], withCache(cacheDir));
  const pipEnv = { env: { ...env, PIP_CONFIG_FILE: os.devNull, PIP_FIND_LINKS: '' } };
  function pipFill(dir) {
    const venv = path.join(dir, 'venv');
    const t1 = time(PY, ['-m', 'venv', '--without-pip', venv]);
    const t2 = time(PY, ['-m', 'pip', '--isolated', '--disable-pip-version-check', '--python', path.join(venv, 'bin/python'), 'install', '--no-index', '--no-deps', '-q', '-f', wheelhouse, ...wheelNames], pipEnv);
    return t1 + t2;
  }
  const ratioLine = (label, ours, theirs, limit) => target(label, ours / theirs, limit);
  function row(label, samples, baseline) {
    const m = median(samples);
    console.log(`  ${label.padEnd(52)}${fmt(m)}${baseline ? `  ×${(m / baseline).toFixed(2)}` : ''}`);
    return m;
  }

  console.log(`\nFresh environment + ${wheels.length} locked wheels, envbuild apply --locked (${INSTALL_RUNS} runs, medians):`);
  const one = lockedProject('one', 1);
  applyLocked(one(), warmCache); // fills the cache once
  const fill = { warm: [], cold: [], pip: [] };
  for (let i = 0; i < INSTALL_RUNS; i++) {
    fill.pip.push(pipFill(path.join(work, `pip-${i}`)));
    fill.warm.push(applyLocked(one(), warmCache));
    const cold = coldCache();
    fill.cold.push(applyLocked(one(), cold));
    fs.rmSync(cold, { recursive: true, force: true });
  }
  const pipM = row('venv --without-pip + pip install --no-index -f', fill.pip);
  const warmM = row('envbuild apply --locked, warm cache', fill.warm, pipM);
  const coldM = row('envbuild apply --locked, cold cache', fill.cold, pipM);
  ratioLine('warm cache vs pip', warmM, pipM, 0.1);
  ratioLine('cold cache vs pip', coldM, pipM, 0.25);

  console.log('\nseed-pip (`pip: true`: an environment with pip, from the bundled wheel), one envbuild apply:');
  const seedManifest = (dir) => manifest(dir, ['app'], { extra: '    pip: true\n' });
  time(process.execPath, [cli, 'apply', seedManifest(path.join(work, 'seed-warmup'))], withCache(warmCache));
  const seed = { envbuild: [], venv: [], virtualenv: [] };
  for (let i = 0; i < INSTALL_RUNS; i++) {
    const d = path.join(work, `seed-${i}`);
    seed.venv.push(time(PY, ['-m', 'venv', path.join(d, 'venv')]));
    seed.envbuild.push(time(process.execPath, [cli, 'apply', seedManifest(path.join(d, 'eb'))], withCache(warmCache)));
    if (virtualenv) seed.virtualenv.push(time(virtualenv, ['--no-periodic-update', '--no-setuptools', '--no-wheel', path.join(d, 'virtualenv')]));
  }
  const seedVenv = row('python3.11 -m venv (ensurepip)', seed.venv);
  const seedEb = row('envbuild apply, pip: true', seed.envbuild, seedVenv);
  if (virtualenv) {
    const seedVe = row('virtualenv (pip seeded, warm app-data)', seed.virtualenv, seedVenv);
    ratioLine('seed-pip: envbuild vs virtualenv', seedEb, seedVe, 1.0);
  }
  ratioLine('seed-pip: envbuild vs python -m venv', seedEb, seedVenv, 0.1);

  console.log(`\nTen environments sharing ${wheels.length} wheels (one manifest, one apply --locked, warm cache):`);
  const ten = lockedProject('ten', 10);
  const many = { one: [], ten: [] };
  let lastOne;
  let lastTen;
  for (let i = 0; i < INSTALL_RUNS; i++) {
    lastOne = one();
    many.one.push(applyLocked(lastOne, warmCache));
    lastTen = ten();
    many.ten.push(applyLocked(lastTen, warmCache));
  }
  const oneM = row('one environment', many.one);
  const tenM = row('ten environments', many.ten, oneM);
  ratioLine('ten vs one', tenM, oneM, 2);

  const du = (paths) => Number(spawnSync('du', ['-sk', '--total', ...paths], { encoding: 'utf8' }).stdout.trim().split('\n').pop().split('\t')[0]);
  const tenDir = path.join(lastTen, 'envs');
  const oneKb = du([path.join(lastOne, 'envs', 'e0')]);
  const tenKb = du(fs.readdirSync(tenDir).map((n) => path.join(tenDir, n)));
  console.log(`\nDisk (du -sk, hard links counted once): one env ${oneKb} KiB, ten envs ${tenKb} KiB`);
  ratioLine('ten vs one (disk)', tenKb, oneKb, 1.2);
}

function locks() {
  function row(label, samples, baseline) {
    const m = median(samples);
    console.log(`  ${label.padEnd(52)}${fmt(m)}${baseline ? `  ×${(m / baseline).toFixed(2)}` : ''}`);
    return m;
  }
  // Locks: resolving 20 wheels (`envbuild lock`) and a fresh environment installed from the lock
  // (`apply --locked`), against a fresh `venv` + plain `pip install` of the same wheels, paired.
  console.log('\nLocks, 20 local wheels (fresh environment each run):');
  const lockRuns = Math.min(RUNS, 5);
  const wheelhouse = path.join(work, 'lock-wheelhouse');
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
  const wheelNames = Array.from({ length: 20 }, (_, i) => `w${i}`);
  const lockProject = path.join(work, 'lock-src');
  fs.mkdirSync(lockProject, { recursive: true });
  fs.writeFileSync(
    path.join(lockProject, 'env.yaml'),
    `envbuild: 1\nenvironments:\n  app:\n    python: ${PY}\n    parts:\n      deps:\n        recipe: packages\n        requirements: [${wheelNames.join(', ')}]\n        find-links: [${wheelhouse}]\n        no-index: true\n`,
  );
  time(process.execPath, [cli, 'lock', path.join(lockProject, 'env.yaml')]);
  const samples = { lock: [], locked: [], pip: [] };
  const pipEnv = { ...env, PIP_CONFIG_FILE: os.devNull, PIP_FIND_LINKS: '' };
  for (let i = 0; i < lockRuns; i++) {
    samples.lock.push(time(process.execPath, [cli, 'lock', path.join(lockProject, 'env.yaml')]));
    const copy = path.join(work, `lock-copy-${i}`);
    fs.mkdirSync(copy);
    for (const f of ['env.yaml', 'pylock.app.toml']) fs.copyFileSync(path.join(lockProject, f), path.join(copy, f));
    samples.locked.push(time(process.execPath, [cli, 'apply', '--locked', path.join(copy, 'env.yaml')]));
    const plain = path.join(work, `lock-pip-${i}`);
    samples.pip.push(
      time(PY, ['-m', 'venv', '--without-pip', plain]) +
        time(PY, ['-m', 'pip', '--python', path.join(plain, 'bin', 'python'), 'install', '--disable-pip-version-check', '-q', '--no-index', '-f', wheelhouse, ...wheelNames], { env: pipEnv }),
    );
  }
  const pipMedian = row('venv --without-pip + pip install (20 wheels)', samples.pip);
  row('envbuild lock (resolve 20 wheels)', samples.lock, pipMedian);
  row('envbuild apply --locked (fresh env, 20 wheels)', samples.locked, pipMedian);
}

const SCENARIOS = { freshOne, noopTen, scale, interpreterStartup, installer, locks };

// ---------------------------------------------------------------------------------------------

if (!fs.existsSync(PY)) {
  console.error(`bench: ${PY} is required`);
  process.exit(1);
}
// Warm the interpreter probe cache once, as any second use of envbuild would find it.
time(...envbuild('apply', manifest(path.join(work, 'warm'), ['w'])));
console.log(`envbuild benchmark — ${CPU ? 'CPU time' : 'wall time'}, ${RUNS} rounds per paired measurement, medians (node ${process.version}, ${os.availableParallelism()} cores, load ${os.loadavg()[0].toFixed(1)})\n`);
try {
  for (const [name, scenario] of Object.entries(SCENARIOS)) if (!ONLY || ONLY.includes(name)) await scenario();
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
console.log('\nTargets (ratio ≤ limit):');
for (const t of targets) {
  console.log(`  ${t.met ? 'met    ' : 'NOT MET'}  ${t.name.padEnd(58)} ×${t.ratio.toFixed(2)} (limit ×${t.limit})${t.detail ? `  ${t.detail}` : ''}`);
}
