import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { activatedVariables } from '../commands/use-environment.js';

export interface ShellInvocation {
  readonly file: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  cleanup(): Promise<void>;
}

/** Single quotes for POSIX shells and fish: nothing inside is special but the quote itself. */
const sq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
const fishQuote = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/**
 * How to start the user's shell with an environment activated. bash, zsh and fish source the
 * environment's own activation script after the user's start-up files (which would otherwise
 * reset PATH or the prompt); other shells get the variables activation sets.
 */
export async function shellInvocation(shellPath: string, env: { readonly path: string }, base: NodeJS.ProcessEnv): Promise<ShellInvocation> {
  const kind = path.basename(shellPath);
  const activate = path.join(env.path, 'bin', 'activate');
  const none = async () => undefined;
  if (kind === 'fish') {
    return { file: shellPath, args: ['-C', `source ${fishQuote(`${activate}.fish`)}`], env: { ...base }, cleanup: none };
  }
  if (kind !== 'bash' && kind !== 'zsh') return { file: shellPath, args: [], env: activatedVariables(env, base), cleanup: none };

  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'envbuild-shell-'));
  const cleanup = () => fs.rm(dir, { recursive: true, force: true });
  if (kind === 'bash') {
    await fs.writeFile(path.join(dir, 'bashrc'), `[ -f ~/.bashrc ] && . ~/.bashrc\n. ${sq(activate)}\n`);
    return { file: shellPath, args: ['--rcfile', path.join(dir, 'bashrc'), '-i'], env: { ...base }, cleanup };
  }
  // zsh reads its start-up files from $ZDOTDIR: point it here for this start, then back.
  const home = base['ZDOTDIR'] ?? base['HOME'] ?? os.homedir();
  const restore = `ZDOTDIR=${sq(home)}\n`;
  await fs.writeFile(path.join(dir, '.zshenv'), `${restore}[ -f "$ZDOTDIR/.zshenv" ] && . "$ZDOTDIR/.zshenv"\nZDOTDIR=${sq(dir)}\n`);
  await fs.writeFile(path.join(dir, '.zshrc'), `${restore}[ -f "$ZDOTDIR/.zshrc" ] && . "$ZDOTDIR/.zshrc"\n. ${sq(activate)}\n`);
  return { file: shellPath, args: ['-i'], env: { ...base, ZDOTDIR: dir }, cleanup };
}
