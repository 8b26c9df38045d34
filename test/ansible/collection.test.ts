/**
 * The Ansible collection (ansible/ansible_collections/envbuild/envbuild) driven by real
 * ansible-playbook runs against this machine (`-i localhost, -c local`), as a fleet's
 * playbook would: changed exactly when envbuild changed something, check and diff mode,
 * located failures, state=absent, and the audit module failing on a leak.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeSite } from '../helpers/fake-site.js';
import { CLI, makeProject, REPO, type Project } from '../helpers/project.js';
import { snapshotTree } from '../helpers/tree-snapshot.js';
import { debianPython, type SkippableContext } from '../helpers/require-python.js';
import { tempDir } from '../helpers/temp-dir.js';

const COLLECTIONS = path.join(REPO, 'ansible');
const ENVBUILD = `${process.execPath} ${CLI}`;

function requireAnsible(ctx: SkippableContext): void {
  const found = spawnSync('ansible-playbook', ['--version'], { encoding: 'utf8' });
  if (found.status === 0) return;
  if (process.env['CI'] === 'true') throw new Error('ansible-playbook is missing; .ci/run installs Debian ansible-core');
  ctx.skip('ansible-playbook is not installed (apt-get install ansible-core)');
}

interface TaskResult {
  changed?: boolean;
  failed?: boolean;
  msg?: string;
  [k: string]: unknown;
}
interface PlayRun {
  code: number | null;
  stats: { changed: number; failures: number; ok: number };
  tasks: Record<string, TaskResult>;
  raw: string;
}

/**
 * ansible-playbook with everything it writes (its home, temp files) kept in the test's dir.
 * Ansible-core ships no JSON stdout callback, so results are read from the default callback at
 * -v, which prints each task's result as one line of JSON, and the counts from its recap.
 */
function playbook(p: Project, playbookFile: string, args: string[] = [], inventory = 'localhost,'): PlayRun {
  const home = path.join(p.dir, '.ansible-home');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ANSIBLE_COLLECTIONS_PATH: COLLECTIONS,
    ANSIBLE_HOME: home,
    ANSIBLE_LOCAL_TEMP: path.join(home, 'tmp'),
    ANSIBLE_REMOTE_TEMP: path.join(home, 'remote-tmp'),
    ANSIBLE_CALLBACK_RESULT_FORMAT: 'json',
    ANSIBLE_CALLBACK_FORMAT_PRETTY: 'false',
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_RETRY_FILES_ENABLED: '0',
    ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3',
    ANSIBLE_DEPRECATION_WARNINGS: '0',
    ENVBUILD_CACHE_DIR: p.cacheDir,
    ENVBUILD_CONFIG_DIR: path.join(p.cacheDir, 'config'),
  };
  const r = spawnSync('ansible-playbook', ['-v', '-i', inventory, '-c', 'local', playbookFile, ...args], { cwd: p.dir, env, encoding: 'utf8' });
  const tasks: Record<string, TaskResult> = {};
  let task = '';
  for (const line of r.stdout.split('\n')) {
    const header = /^TASK \[(.+?)\] \*/.exec(line);
    if (header) task = header[1]!;
    const result = /^(?:ok|changed|fatal): \[localhost\](?:: FAILED!)? => (\{.*\})$/.exec(line);
    if (result) tasks[task] = JSON.parse(result[1]!) as TaskResult;
  }
  const recap = /localhost\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)/.exec(r.stdout);
  if (!recap) throw new Error(`no PLAY RECAP in ansible-playbook output:\n${r.stdout}\n${r.stderr}`);
  const stats = { ok: Number(recap[1]), changed: Number(recap[2]), failures: Number(recap[3]) };
  return { code: r.status, stats, tasks, raw: r.stdout + r.stderr };
}

function writePlay(p: Project, name: string, tasks: string): string {
  const file = path.join(p.dir, name);
  fs.writeFileSync(file, `- hosts: all\n  gather_facts: false\n  tasks:\n${tasks}`);
  return file;
}

const applyTask = (p: Project, extra = '') =>
  `    - name: envs\n      envbuild.envbuild.apply:\n        manifest: ${p.manifest}\n        executable: ${ENVBUILD}\n${extra}`;

const manifest = (python: string, content: string) =>
  `envbuild: 1\nenvironments:\n  app:\n    python: ${python}\n    parts:\n      conf:\n        recipe: file\n        path: "\${environments.app.path}/etc/app.ini"\n        content: "${content}\\n"\n`;

describe('the envbuild.envbuild Ansible collection', () => {
  // Nine playbook runs of a few seconds each: more than the default timeout on a busy machine.
  it('applies (changed), re-applies (not changed), previews in check and diff mode, then destroys', { timeout: 600_000 }, (ctx) => {
    requireAnsible(ctx);
    const python = debianPython(ctx);
    const p = makeProject(manifest(python, 'one'));
    const play = writePlay(p, 'play.yml', applyTask(p));

    const first = playbook(p, play);
    expect(first.code, first.raw).toBe(0);
    expect(first.stats.changed).toBe(1);
    expect(first.tasks['envs']!['environments']).toEqual(['app']);
    expect(fs.readFileSync(path.join(p.env('app'), 'etc', 'app.ini'), 'utf8')).toBe('one\n');

    const second = playbook(p, play);
    expect(second.code, second.raw).toBe(0);
    expect(second.stats.changed).toBe(0);

    // A changed manifest in check mode: reported as a change, nothing written.
    p.write(manifest(python, 'two'));
    // What a plan may write is envbuild's own cache (the parsed tree of the edited manifest), which
    // the test keeps in the project's .cache/ and a user has in ~/.cache: the project is untouched.
    const project = () => snapshotTree(p.dir, { mtimes: true }).filter((l) => !l.startsWith('.ansible-home') && !l.startsWith('.cache/manifest-trees/') && !l.startsWith('.cache/ '));
    const before = project();
    const checked = playbook(p, play, ['--check', '--diff']);
    expect(checked.code, checked.raw).toBe(0);
    expect(checked.stats.changed).toBe(1);
    expect(project()).toEqual(before);
    // The callback prints the module's before/after as a unified diff of the plan.
    expect(checked.raw).toContain(`+++ after: ${p.manifest} (declared)`);
    expect(checked.raw).toMatch(/^-app: present \(/m);
    expect(checked.raw).toMatch(/^\+app: update \(/m);
    expect(checked.raw).toMatch(/^\+ {2}part conf \(file\): update$/m);

    const applied = playbook(p, play, ['--diff']);
    expect(applied.stats.changed).toBe(1);
    expect(fs.readFileSync(path.join(p.env('app'), 'etc', 'app.ini'), 'utf8')).toBe('two\n');

    const absentPlay = writePlay(p, 'absent.yml', applyTask(p, '        state: absent\n'));
    const preview = playbook(p, absentPlay, ['--check']);
    expect(preview.stats.changed).toBe(1);
    expect(fs.existsSync(p.env('app'))).toBe(true);
    const destroyed = playbook(p, absentPlay);
    expect(destroyed.code, destroyed.raw).toBe(0);
    expect(destroyed.stats.changed).toBe(1);
    expect(fs.existsSync(p.env('app'))).toBe(false);
    expect(playbook(p, absentPlay).stats.changed).toBe(0);
  });

  it('fails the task with the located manifest error, never a traceback', (ctx) => {
    requireAnsible(ctx);
    const p = makeProject('envbuild: 1\nenvironments:\n  app:\n    pythn: "3.11"\n');
    const run = playbook(p, writePlay(p, 'play.yml', applyTask(p)));
    expect(run.code).not.toBe(0);
    expect(run.stats.failures).toBe(1);
    const msg = run.tasks['envs']!.msg ?? '';
    expect(msg).toContain(`${p.manifest}:4:5: unknown key \`pythn\`; did you mean \`python\`?`);
    expect(run.raw).not.toMatch(/Traceback/);
  });

  it('the check module passes on a clean environment and fails on a leaking one, returning the audit', (ctx) => {
    requireAnsible(ctx);
    const python = debianPython(ctx);
    const site = new FakeSite();
    site.distInfo({ name: 'stray-pkg', version: '1.0', files: { 'stray_pkg/__init__.py': '' } });
    const p = makeProject(`envbuild: 1\nenvironments:\n  sealed:\n    python: ${python}\n`);
    expect(p.run('apply').code).toBe(0);
    const checkTask = `    - name: audit\n      envbuild.envbuild.check:\n        manifest: ${p.manifest}\n        executable: ${ENVBUILD}\n`;
    const play = writePlay(p, 'check.yml', checkTask);
    const clean = playbook(p, play);
    expect(clean.code, clean.raw).toBe(0);
    expect(clean.tasks['audit']!['clean']).toBe(true);

    const sitePackages = path.join(p.env('sealed'), 'lib', 'python3.11', 'site-packages');
    fs.writeFileSync(path.join(sitePackages, 'zz-planted.pth'), `${site.dir}\n`);
    const leaking = playbook(p, play);
    expect(leaking.code).not.toBe(0);
    expect(leaking.stats.failures).toBe(1);
    const task = leaking.tasks['audit']!;
    expect(task['clean']).toBe(false);
    expect(task.msg).toContain('sealed');
    expect((task['problems'] as string[]).some((l) => l.startsWith('sealed: ') && l.includes('stray_pkg'))).toBe(true);
  });

  it('ansible-doc prints the documentation of both modules', (ctx) => {
    requireAnsible(ctx);
    const home = tempDir('envbuild-ansible-doc-');
    for (const module of ['apply', 'check']) {
      const r = spawnSync('ansible-doc', [`envbuild.envbuild.${module}`], {
        encoding: 'utf8',
        env: { ...process.env, ANSIBLE_COLLECTIONS_PATH: COLLECTIONS, ANSIBLE_HOME: home, ANSIBLE_NOCOLOR: '1' },
      });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain(`ansible_collections/envbuild/envbuild/plugins/modules/${module}.py`);
      expect(r.stdout).toMatch(/OPTIONS \(= is mandatory\):/);
      expect(r.stdout).toMatch(/= manifest/);
      expect(r.stdout).toMatch(/EXAMPLES:/);
      expect(r.stdout).toMatch(/RETURN VALUES:/);
    }
  });

  it('examples/ansible: the playbook applies the manifest to the group, then audits it', { timeout: 600_000 }, (ctx) => {
    requireAnsible(ctx);
    debianPython(ctx);
    const p = makeProject();
    fs.cpSync(path.join(REPO, 'examples', 'ansible'), p.dir, { recursive: true, filter: (src) => !/\/(envs|\.envbuild)(\/|$)/.test(src) });
    const deploy = path.join(p.dir, 'deploy');
    // As the example's README says: lock once where the manifest is edited, ship manifest and locks.
    const locked = p.run('lock');
    expect(locked.code, locked.stderr).toBe(0);
    expect(fs.existsSync(path.join(p.dir, 'pylock.tools.toml'))).toBe(true);
    // JSON, not key=value: the executable has a space in it.
    const vars = ['-e', JSON.stringify({ envbuild_project: deploy, envbuild_executable: ENVBUILD })];
    const run = playbook(p, path.join(p.dir, 'playbook.yml'), vars, path.join(p.dir, 'inventory.ini'));
    expect(run.code, run.raw).toBe(0);
    expect(run.tasks['Build the environments exactly as locked']!.changed).toBe(true);
    expect(fs.readFileSync(path.join(deploy, 'pylock.tools.toml'), 'utf8')).toBe(fs.readFileSync(path.join(p.dir, 'pylock.tools.toml'), 'utf8'));
    expect(run.tasks['Prove their isolation']!['clean']).toBe(true);
    expect(fs.readFileSync(path.join(deploy, 'envs', 'tools', 'etc', 'tools.ini'), 'utf8')).toMatch(/^\[tools\]\npython = 3\.\d+\.\d+\n$/);
    const again = playbook(p, path.join(p.dir, 'playbook.yml'), vars, path.join(p.dir, 'inventory.ini'));
    expect(again.tasks['Build the environments exactly as locked']!.changed).toBe(false);
  });
});
