/**
 * Daily use of the CLI as a user meets it (issue 15): running commands in an environment,
 * a shell in it, pip where expected, `init`, manifest discovery, per-command help, every
 * problem reported at once, and summaries that say what happened. Real processes, real
 * interpreters, temp directories.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { debianPython, requirePresent } from '../helpers/require-python.js';
import { CLI, makeProject, type CliResult } from '../helpers/project.js';

/** The CLI run from `cwd` (inside a project), with extra environment and stdin. */
function cli(cwd: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; input?: string; cacheDir?: string } = {}): CliResult {
  // Input comes from a file, as from `envbuild shell < commands`: Node's own stdin pipes are
  // sockets, which fish refuses to read its commands from.
  let stdin: number | 'pipe' = 'pipe';
  if (options.input !== undefined) {
    const file = path.join(cwd, `.stdin-${process.pid}`);
    fs.writeFileSync(file, options.input);
    stdin = fs.openSync(file, 'r');
    fs.rmSync(file);
  }
  try {
    const r = spawnSync(process.execPath, [CLI, ...args], {
      cwd,
      env: { ...process.env, CI: 'true', NO_COLOR: '1', ...(options.cacheDir ? { ENVBUILD_CACHE_DIR: options.cacheDir } : {}), ...options.env },
      encoding: 'utf8',
      stdio: [stdin, 'pipe', 'pipe'],
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  } finally {
    if (typeof stdin === 'number') fs.closeSync(stdin);
  }
}

const oneEnv = (python: string, extra = ''): string => `envbuild: 1\nenvironments:\n  app:\n    python: ${python}\n${extra}`;

describe('envbuild run', () => {
  it('applies an out-of-date environment first, then runs the command with PATH and VIRTUAL_ENV set; exit code passed through', (ctx) => {
    const p = makeProject(oneEnv(debianPython(ctx, 11)));
    const show = ['run', 'app', '--', 'python', '-c', 'import os, sys, shutil; print(sys.prefix); print(os.environ["VIRTUAL_ENV"]); print(shutil.which("python"))'];
    const first = p.run(...show);
    expect(first.stderr).toContain('created app');
    expect(first.code).toBe(0);
    const env = p.env('app');
    expect(first.stdout.trim().split('\n')).toEqual([env, env, path.join(env, 'bin', 'python')]);
    // Up to date now: nothing applied, nothing said, same result.
    const second = p.run(...show);
    expect(second.stderr).not.toContain('created');
    expect(second.stdout).toBe(first.stdout);
    expect(p.run('run', 'app', '--', 'python', '-c', 'raise SystemExit(7)').code).toBe(7);
    expect(p.run('run', 'app', '--', 'sh', '-c', 'exit 42').code).toBe(42);
    const missing = p.run('run', 'app', '--', 'no-such-command-here');
    expect(missing.code).toBe(127);
    expect(missing.stderr).toContain('no-such-command-here: command not found');
  });

  it('--no-sync runs without applying, and refuses an environment that was never built', (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeProject(oneEnv(python));
    const refused = p.run('run', '--no-sync', 'app', '--', 'python', '-V');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('not built');
    expect(p.run('apply').code).toBe(0);
    p.write(oneEnv(python, '    parts:\n      note:\n        recipe: file\n        path: note.txt\n        content: hello\n'));
    expect(p.run('run', '--no-sync', 'app', '--', 'python', '-V').code).toBe(0);
    expect(fs.existsSync(path.join(p.dir, 'note.txt'))).toBe(false);
    expect(p.run('run', 'app', '--', 'python', '-V').code).toBe(0);
    expect(fs.readFileSync(path.join(p.dir, 'note.txt'), 'utf8')).toBe('hello');
  });

  it('finds env.yaml in a parent directory, takes the only environment, and names them when there are several', (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeProject(oneEnv(python));
    const deep = path.join(p.dir, 'src', 'pkg');
    fs.mkdirSync(deep, { recursive: true });
    const r = cli(deep, ['run', '--', 'python', '-c', 'import os; print(os.getcwd()); print(os.environ["VIRTUAL_ENV"])'], { cacheDir: p.cacheDir });
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([deep, p.env('app')]);
    p.write(`envbuild: 1\nenvironments:\n  app:\n    python: ${python}\n  tools:\n    python: ${python}\n`);
    const ambiguous = cli(deep, ['run', '--', 'python', '-V'], { cacheDir: p.cacheDir });
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toContain('app, tools');
    const typo = cli(deep, ['run', 'tols', '--', 'python', '-V'], { cacheDir: p.cacheDir });
    expect(typo.stderr).toContain('did you mean "tools"');
  });

  it('passes signals on to the command and exits as it does', async (ctx) => {
    const p = makeProject(oneEnv(debianPython(ctx, 11)));
    expect(p.run('apply').code).toBe(0);
    const script = 'import signal, sys, time\nsignal.signal(signal.SIGTERM, lambda *a: (print("got TERM", flush=True), sys.exit(3)))\nprint("ready", flush=True)\ntime.sleep(60)';
    const child = spawn(process.execPath, [CLI, 'run', 'app', '--', 'python', '-c', script], { cwd: p.dir, env: { ...process.env, CI: 'true', ENVBUILD_CACHE_DIR: p.cacheDir } });
    let stdout = '';
    const ready = new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => ((stdout += d.toString()), stdout.includes('ready') && resolve())));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await ready;
    child.kill('SIGTERM');
    expect(await exited).toBe(3);
    expect(stdout).toContain('got TERM');
  });

  it('usage: a command is needed after --', () => {
    const p = makeProject(oneEnv('/usr/bin/python3'));
    const r = p.run('run', 'app');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Usage: envbuild run');
  });
});

describe('after apply, and envbuild shell', () => {
  it('apply ends with one line that says how to use the environment', (ctx) => {
    const p = makeProject(oneEnv(debianPython(ctx, 11)));
    const r = p.run('apply');
    expect(r.code).toBe(0);
    const hint = r.stdout.trim().split('\n').at(-1);
    expect(hint).toBe('Use it: envbuild run app -- python   (or envbuild shell app, or source envs/app/bin/activate)');
  });

  for (const shell of ['bash', 'zsh', 'fish', 'sh'] as const) {
    it(`shell starts $SHELL=${shell} with the environment activated; its exit code is envbuild's`, (ctx) => {
      const python = debianPython(ctx, 11);
      // bash and sh are always there; .ci/run installs zsh and fish.
      const exe = requirePresent(ctx, ['/usr/bin', '/bin'].map((d) => path.join(d, shell)).find((f) => fs.existsSync(f)), shell);
      const p = makeProject(oneEnv(python));
      const input = shell === 'fish' ? 'echo $VIRTUAL_ENV; command -v python; exit 5\n' : 'echo "$VIRTUAL_ENV"; command -v python; exit 5\n';
      const r = cli(p.dir, ['shell', 'app'], { env: { SHELL: exe, HOME: p.dir }, input, cacheDir: p.cacheDir });
      expect(r.stderr).toContain(`starting ${exe} with app activated`);
      expect(`${r.code} ${r.stderr}`).toMatch(/^5 /);
      expect(r.stdout.trim().split('\n').slice(-2)).toEqual([p.env('app'), path.join(p.env('app'), 'bin', 'python')]);
    });
  }
});

describe('pip: true', () => {
  it('puts pip in the environment (offline, from the interpreter\'s wheel); the summary says so; leaving it out means no pip', (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeProject(oneEnv(python, '    pip: true\n'));
    const plan = p.run('plan');
    expect(plan.stdout).toContain('part pip (packages): create');
    const r = p.run('apply');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('parts: pip created (pip installed)');
    const version = p.run('run', 'app', '--', 'python', '-m', 'pip', '--version');
    expect(version.code).toBe(0);
    expect(version.stdout).toContain(path.join(p.env('app'), 'lib'));
    p.write(oneEnv(python));
    expect(p.run('apply').code).toBe(0);
    const gone = p.run('run', 'app', '--', 'python', '-c', 'import pip');
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain("No module named 'pip'");
  });

  it('a part named pip beside pip: true is reported at the part', () => {
    const p = makeProject(oneEnv('/usr/bin/python3', '    pip: true\n    parts:\n      pip:\n        recipe: packages\n'));
    const r = p.run('validate');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${p.manifest}:7:7: a part named \`pip\``);
  });
});

describe('envbuild init', () => {
  it('writes a commented env.yaml: interpreters found, requirements.txt as a packages part, an existing venv noticed; it validates', (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeProject();
    fs.writeFileSync(path.join(p.dir, 'requirements.txt'), 'attrs\n');
    expect(spawnSync(python, ['-m', 'venv', '--without-pip', path.join(p.dir, '.venv')]).status).toBe(0);
    const r = p.run('init');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`wrote ${p.manifest}`);
    const text = fs.readFileSync(p.manifest, 'utf8');
    expect(text).toContain('requirements: ["-r requirements.txt"]');
    expect(text).toContain('.venv/ is an existing virtual environment (Python 3.11');
    expect(text).toContain(`#   3.11`);
    expect(text).toContain(python);
    expect(text).toMatch(/^ {4}python: "3\.11"$/m);
    expect(text).toMatch(/^ {4}pip: true$/m);
    const v = p.run('validate');
    expect(v.stderr).toBe('');
    expect(v.code).toBe(0);
    const again = p.run('init');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists');
    expect(fs.readFileSync(p.manifest, 'utf8')).toBe(text);
    expect(p.run('init', '--force').code).toBe(0);
  });

  it('without a requirements.txt, parts are an example in comments; without env.yaml anywhere, commands say so', () => {
    const p = makeProject();
    const missing = p.run('plan');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`no env.yaml in ${p.dir} or any parent directory`);
    expect(missing.stderr).toContain('envbuild init');
    expect(p.run('init').code).toBe(0);
    expect(fs.readFileSync(p.manifest, 'utf8')).toContain('#     recipe: packages');
  });
});

describe('help and usage', () => {
  it('every command has help: `envbuild help CMD` and `envbuild CMD --help` show its options and examples', () => {
    const p = makeProject();
    const top = p.run('--help');
    for (const c of ['init', 'plan', 'apply', 'run', 'shell', 'validate', 'check', 'destroy', 'pythons']) {
      expect(top.stdout).toMatch(new RegExp(`^  ${c} +\\S`, 'm'));
      const a = p.run('help', c);
      const b = p.run(c, '--help');
      expect(a.code).toBe(0);
      expect(b.stdout).toBe(a.stdout);
      expect(a.stdout).toContain(`Usage: envbuild ${c}`);
      expect(a.stdout).toContain('Examples:\n  envbuild ');
    }
    expect(p.run('help', 'apply').stdout).toContain('--wait');
    expect(p.run('help', 'plan').stdout).toContain('--detailed-exitcode');
    expect(p.run('help', 'run').stdout).toContain('--no-sync');
  });

  it('bad usage names the problem in plain words and prints the command\'s usage; exit 2', () => {
    const p = makeProject();
    const v = p.run('-V');
    expect(v.code).toBe(2);
    expect(v.stderr).toContain('unknown option -V (did you mean -v?)');
    // Every quote it opens, it closes.
    expect((v.stderr.match(/'/g) ?? []).length % 2).toBe(0);
    const a = p.run('apply', '-V');
    expect(a.code).toBe(2);
    expect(a.stderr).toContain('unknown option -V for apply');
    expect(a.stderr).toContain('Usage: envbuild apply [MANIFEST] [options]');
    expect(a.stderr).toContain("Run 'envbuild help apply'");
    const e = p.run('plan', '--env');
    expect(e.code).toBe(2);
    expect(e.stderr).toContain('--env needs a value: --env NAME');
    expect(p.run('aply').stderr).toContain('unknown command "aply" (did you mean apply?)');
  });
});

describe('every problem at once', () => {
  it('schema problems with a missing interpreter, distribution and Debian package and a mistyped recipe, in one located list; nothing written', (ctx) => {
    const python = debianPython(ctx, 11);
    const p = makeProject(
      [
        'envbuild: 1',
        'environments:',
        '  app:',
        '    python: "9.9"',
        '    parts:',
        '      deps:',
        '        recipe: pakages',
        '  typo:',
        `    python: ${python}`,
        '    isolaton: full',
        '  sys:',
        `    python: ${python}`,
        '    isolation:',
        '      mode: cherry-pick',
        '      allow: [no-such-dist-here, {deb: no-such-deb-here}]',
        '  other:',
        `    python: ${python}`,
        '    layout: tree',
        '',
      ].join('\n'),
    );
    const r = p.run('validate');
    expect(r.code).toBe(1);
    const at = (line: number, col: number) => `${p.manifest}:${line}:${col}: `;
    expect(r.stderr).toContain(`${at(4, 13)}no Python interpreter matches "9.9"`);
    expect(r.stderr).toContain(`${at(7, 17)}unknown recipe "pakages": did you mean \`packages\`?`);
    expect(r.stderr).not.toContain('npm install');
    expect(r.stderr).toContain(`${at(10, 5)}unknown key \`isolaton\``);
    expect(r.stderr).toContain(`${at(15, 15)}no distribution named "no-such-dist-here"`);
    expect(r.stderr).toContain(`${at(15, 34)}Debian package "no-such-deb-here" is not installed`);
    expect(r.stderr).toContain(`${at(18, 13)}expected \`auto\`, \`venv\` or \`classic\``);
    // Nothing was written, not even the probe cache.
    expect(fs.readdirSync(p.dir)).toEqual(['env.yaml']);
    // In file order, once each.
    const lines = r.stderr.split('\n').filter((l) => l.startsWith(p.manifest));
    const positions = lines.map((l) => l.slice(p.manifest.length + 1).split(':').slice(0, 2).map(Number) as [number, number]);
    expect(positions).toEqual([...positions].sort((a, b) => a[0] - b[0] || a[1] - b[1]));
    expect(new Set(lines).size).toBe(lines.length);
  });
});

describe('honest summaries', () => {
  it('apply says what parts wrote; a failed part\'s error is printed once', (ctx) => {
    const python = debianPython(ctx, 11);
    const file = '      note:\n        recipe: file\n        path: note.txt\n        content: hi\n';
    const p = makeProject(oneEnv(python, `    parts:\n${file}`));
    const ok = p.run('apply');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^created app \(envs\/app\): \d+ written; parts: note created \(1 file written\)$/m);
    p.write(oneEnv(python, `    parts:\n${file}      bad:\n        recipe: command\n        command: [sh, -c, "echo boom-marker >&2; exit 3"]\n`));
    const failed = p.run('apply');
    expect(failed.code).toBe(1);
    expect(`${failed.stdout}${failed.stderr}`.match(/exited with code 3/g)).toHaveLength(1);
  });

  it('check aligns its columns, names the allowed distributions, and keeps --json complete but small', (ctx) => {
    const python = debianPython(ctx, 11);
    requirePresent(ctx, fs.existsSync('/usr/lib/python3/dist-packages/six.py') ? true : undefined, 'python3-six');
    const p = makeProject(
      `envbuild: 1\nenvironments:\n  a:\n    python: ${python}\n  longer-name:\n    python: ${python}\n    isolation: {mode: cherry-pick, allow: [six]}\n  sys:\n    python: ${python}\n    isolation: system\n`,
    );
    expect(p.run('apply').code).toBe(0);
    const r = p.run('check');
    const rows = r.stdout.split('\n').filter((l) => /^[✔✘] /.test(l));
    expect(rows).toHaveLength(3);
    const column = (needle: RegExp) => rows.map((l) => l.search(needle));
    expect(new Set(column(/ (full|cherry-pick|system) /)).size).toBe(1);
    expect(new Set(column(/ envs\//)).size).toBe(1);
    expect(r.stdout).toMatch(/^ {4}allowed: six \d+\.\d+/m);
    const json = p.run('check', '--json');
    expect(json.code).toBe(r.code);
    // Was ~245 KB for three such environments with every module carrying its directories.
    expect(json.stdout.length).toBeLessThan(150_000);
    const parsed = JSON.parse(json.stdout) as { environments: Array<{ name: string; audit: { modules: Array<{ name: string; class: string }> } }> };
    // Complete: every importable module the text counts is named in the JSON.
    for (const e of parsed.environments) {
      const counted = Number(/importable: (\d+) stdlib/.exec(rows.find((l) => l.includes(` ${e.name} `))!)![1]);
      expect(e.audit.modules.filter((m) => m.class === 'stdlib')).toHaveLength(counted);
    }
  });
});

