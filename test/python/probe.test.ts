import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors/index.js';
import { probeInterpreter } from '../../src/python/index.js';
import { alive } from '../helpers/alive.js';
import { debianPython, pyenvVersion } from '../helpers/require-python.js';
import { useSandbox } from './sandbox.js';

const sandbox = useSandbox();

async function probeError(file: string, options: Parameters<typeof probeInterpreter>[1] = {}): Promise<UserError> {
  const error: unknown = await probeInterpreter(file, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof UserError)) throw new Error(`expected a UserError, got ${String(error)}`);
  return error;
}

describe('probeInterpreter', () => {
  it("describes Debian's python3.11, without its dist-packages on sys.path", async (ctx) => {
    const python = debianPython(ctx, 11);
    const info = await probeInterpreter(python);
    expect(info).toMatchObject({
      executable: python,
      versionInfo: [3, 11, expect.any(Number)],
      implementation: 'cpython',
      basePrefix: info.prefix,
      venvScheme: { purelib: 'lib/python3.11/site-packages', scripts: 'bin', include: 'include/python3.11' },
      cacheTag: 'cpython-311',
      supportsVenv: true,
    });
    expect(info.version).toMatch(/^3\.11\.\d+$/);
    expect(info.extensionSuffixes).toContain('.abi3.so');
    expect(info.sysPath.filter((p) => /(site|dist)-packages/.test(p))).toEqual([]);
    expect(info.sysPath).not.toContain('');
  });

  it('probes Python 2.7, retrying with -E -s -S when -I is refused', async (ctx) => {
    const python = pyenvVersion(ctx, '2.7');
    const info = await probeInterpreter(python);
    expect(info).toMatchObject({
      executable: python,
      version: expect.stringMatching(/^2\.7\.\d+$/),
      implementation: 'cpython',
      soabi: null,
      cacheTag: null,
      supportsVenv: false,
      venvScheme: { purelib: 'lib/python2.7/site-packages' },
    });
    expect(info.sysPath.filter((p) => p.includes('site-packages'))).toEqual([]);
  });

  it('follows a symlink and reports the real binary', async (ctx) => {
    const python = pyenvVersion(ctx, '3.12');
    const box = await sandbox();
    const link = await box.link('bin/py', python);
    const info = await probeInterpreter(link);
    expect(info.executable).toBe(python);
    expect(info.versionInfo.slice(0, 2)).toEqual([3, 12]);
  });

  it('hands the interpreter an environment without PYTHON* variables', async (ctx) => {
    const python = debianPython(ctx, 11);
    const box = await sandbox();
    const seen = path.join(box.root, 'seen-env');
    const wrapper = await box.script('bin/python3', `#!/bin/sh\nenv > '${seen}'\nexec '${python}' "$@"\n`);
    const env = { PATH: '/usr/bin:/bin', PYTHONPATH: '/nowhere', PYTHONHOME: '/nowhere', PYTHONDONTWRITEBYTECODE: '1', KEEP_ME: 'yes' };
    const info = await probeInterpreter(wrapper, { env });
    expect(info.executable).toBe(python);
    const lines = (await readFile(seen, 'utf8')).split('\n');
    expect(lines.filter((l) => l.startsWith('PYTHON'))).toEqual([]);
    expect(lines).toContain('KEEP_ME=yes');
  });

  it('refuses a pyenv shim instead of running it', async () => {
    const box = await sandbox();
    const ran = path.join(box.root, 'shim-ran');
    const shim = await box.script(
      'pyenv/shims/python3',
      `#!/usr/bin/env bash\nset -e\nprogram="\${0##*/}"\nexport PYENV_ROOT="${box.root}/pyenv"\ntouch '${ran}'\nexec "${box.root}/pyenv/libexec/pyenv" exec "$program" "$@"\n`,
    );
    const error = await probeError(shim);
    expect(error.code).toBe('EPYTHONPROBE');
    expect(error.message).toBe(`${shim} is a pyenv shim, not an interpreter`);
    await expect(readFile(ran)).rejects.toThrow(/ENOENT/);
  });

  it.each([
    ['a script printing something else', '#!/bin/sh\necho hello\n', 'unexpected output: "hello"'],
    ['a script failing', '#!/bin/sh\necho boom >&2\nexit 3\n', 'exit status 3: boom'],
    ['a script printing an incomplete answer', `#!/bin/sh\necho '{"version": "3.11.2"}'\n`, `the probe's answer is malformed: field "executable" is missing`],
    [
      'a script printing a wrong field',
      `#!/bin/sh\necho '{"executable": "python", "version": "3.11.2"}'\n`,
      `the probe's answer is malformed: field "executable" is invalid: "python"`,
    ],
  ])('says why %s is not a working Python', async (_what, content, reason) => {
    const box = await sandbox();
    const file = await box.script('bin/python3', content);
    const error = await probeError(file);
    expect(error.code).toBe('EPYTHONPROBE');
    expect(error.message).toBe(`${file} is not a working Python interpreter: ${reason}`);
    expect(error.hint).toBe('check the path, or run it with "-c pass" to see what is wrong');
  });

  it('says why a path is not an executable file', async () => {
    const box = await sandbox();
    const missing = path.join(box.root, 'nope');
    expect((await probeError(missing)).message).toBe(`${missing} is not a working Python interpreter: no such file (or a dangling symlink)`);
    const dir = await box.dir('a-dir');
    expect((await probeError(dir)).message).toBe(`${dir} is not a working Python interpreter: not a regular file`);
    const plain = await box.script('plain', 'x');
    const { chmod } = await import('node:fs/promises');
    await chmod(plain, 0o644);
    // root ignores permission bits for reading but not for executing a file with no x bit.
    expect((await probeError(plain)).message).toBe(`${plain} is not a working Python interpreter: not executable`);
  });

  it('gives up on an interpreter that hangs', async () => {
    const box = await sandbox();
    // Not exec: the sleep (longer than this test may run) must die with the shell.
    const pidFile = path.join(box.root, 'sleep.pid');
    const file = await box.script('bin/python3', `#!/bin/sh\nsleep 600 &\necho $! > '${pidFile}'\nwait\n`);
    const error = await probeError(file, { timeoutMs: 300 });
    expect(error.message).toBe(`${file} is not a working Python interpreter: the probe timed out after 300 ms`);
    const sleeper = Number((await readFile(pidFile, 'utf8')).trim());
    await expect.poll(() => alive(sleeper), { timeout: 5_000 }).toBe(false);
  });
});
