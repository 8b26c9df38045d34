/**
 * VIRTUAL_ENV_PROMPT after activation, compared with what `python -m venv` of the same Python
 * makes: venv changed it twice (none before 3.10; `(prompt) ` when prompting in 3.10–3.12; the
 * bare prompt, always, from 3.13), and tools that show the environment read it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderVenvLayout } from '../../src/layout/venv.js';
import { probeInterpreter } from '../../src/python/probe.js';
import { tempDir } from '../helpers/temp-dir.js';
import { debianPython, pyenvVersion } from '../helpers/require-python.js';

const PROMPT = 'my env';

/** What each shell prints for VIRTUAL_ENV_PROMPT after sourcing `script` (`<unset>` when it is not set). */
const SHELLS: Record<string, { exe: string; file: string; code: (script: string) => string }> = {
  bash: { exe: '/bin/bash', file: 'activate', code: (s) => `. '${s}'; printf '%s' "\${VIRTUAL_ENV_PROMPT-<unset>}"` },
  fish: {
    exe: '/usr/bin/fish',
    file: 'activate.fish',
    code: (s) => `source '${s}'; if set -q VIRTUAL_ENV_PROMPT; printf '%s' "$VIRTUAL_ENV_PROMPT"; else; printf '<unset>'; end`,
  },
  tcsh: {
    exe: '/usr/bin/tcsh',
    file: 'activate.csh',
    // A prompt as an interactive tcsh has (venv's script fails without one).
    code: (s) => `set prompt = '> '\nsource '${s}'\nif ($?VIRTUAL_ENV_PROMPT) then\nprintf '%s' "$VIRTUAL_ENV_PROMPT"\nelse\nprintf '<unset>'\nendif\n`,
  },
};

function promptAfterSourcing(shell: keyof typeof SHELLS, script: string, disablePrompt: boolean): string {
  const s = SHELLS[shell]!;
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: tempDir('envbuild-home-') };
  if (disablePrompt) env['VIRTUAL_ENV_DISABLE_PROMPT'] = '1';
  // tcsh reads a script from a file more reliably than from -c (aliases, line by line).
  const file = path.join(tempDir('envbuild-shell-'), 'probe');
  fs.writeFileSync(file, s.code(script));
  const r = spawnSync(s.exe, [file], { encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(`${shell} ${file} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

const INTERPRETERS: Array<[string, (ctx: Parameters<typeof debianPython>[0]) => string]> = [
  ['Debian 3.11', (ctx) => debianPython(ctx, 11)],
  ...['3.8', '3.9', '3.10', '3.12', '3.13'].map((v): [string, (ctx: Parameters<typeof debianPython>[0]) => string] => [
    `pyenv ${v}`,
    (ctx) => pyenvVersion(ctx, v),
  ]),
];

describe('VIRTUAL_ENV_PROMPT as the same Python’s venv sets it', () => {
  for (const [label, find] of INTERPRETERS) {
    it(`${label}: bash, fish and tcsh, prompting and with VIRTUAL_ENV_DISABLE_PROMPT`, async (ctx) => {
      const exe = find(ctx);
      const python = await probeInterpreter(exe);
      const dir = tempDir('envbuild-prompt-');
      const reference = path.join(dir, 'reference');
      execFileSync(exe, ['-m', 'venv', '--without-pip', '--prompt', PROMPT, reference]);
      const ours = path.join(dir, 'ours');
      const entries = renderVenvLayout(python, { root: ours, prompt: PROMPT, systemSitePackages: false });
      fs.mkdirSync(path.join(ours, 'bin'), { recursive: true });
      for (const e of entries) {
        if (e.kind === 'file' && e.path.startsWith('bin/activate')) fs.writeFileSync(path.join(ours, e.path), e.content);
      }
      let compared = 0;
      for (const shell of Object.keys(SHELLS)) {
        const { exe: shellExe, file } = SHELLS[shell]!;
        if (!fs.existsSync(shellExe) || !fs.existsSync(path.join(reference, 'bin', file))) continue;
        for (const disable of [false, true]) {
          const want = promptAfterSourcing(shell, path.join(reference, 'bin', file), disable);
          const got = promptAfterSourcing(shell, path.join(ours, 'bin', file), disable);
          expect(got, `${shell}${disable ? ' with VIRTUAL_ENV_DISABLE_PROMPT' : ''}`).toBe(want);
          compared++;
        }
      }
      expect(compared).toBeGreaterThanOrEqual(2);
    });
  }
});
