/**
 * A throwaway project directory with a manifest, and a way to run the real `envbuild` binary
 * in it as a user would (a fresh process, real exit code, real stdout/stderr).
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './temp-dir.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = path.join(REPO, 'bin', 'envbuild.js');

export interface Project {
  readonly dir: string;
  readonly manifest: string;
  /** The probe cache, private to this project so tests never share or pollute a user's cache. */
  readonly cacheDir: string;
  write(yaml: string): void;
  run(...args: string[]): CliResult;
  runAsync(...args: string[]): Promise<CliResult>;
  env(name: string): string;
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function makeProject(yaml?: string): Project {
  const dir = tempDir('envbuild-test-');
  const manifest = path.join(dir, 'env.yaml');
  const cacheDir = path.join(dir, '.cache');
  const childEnv = (): NodeJS.ProcessEnv => {
    // The key that signs state lives in the project's .cache: tests never touch ~/.config.
    const env: NodeJS.ProcessEnv = { ...process.env, ENVBUILD_CACHE_DIR: cacheDir, ENVBUILD_CONFIG_DIR: path.join(cacheDir, 'config'), NO_COLOR: '1' };
    // The CLI picks its renderer from the terminal; tests see the non-interactive one.
    env['CI'] = 'true';
    return env;
  };
  const project: Project = {
    dir,
    manifest,
    cacheDir,
    write: (text) => fs.writeFileSync(manifest, text),
    run: (...args) => {
      const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, env: childEnv(), encoding: 'utf8' });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    },
    runAsync: (...args) =>
      new Promise((resolve) => {
        const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, env: childEnv() });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      }),
    env: (name) => path.join(dir, 'envs', name),
  };
  if (yaml !== undefined) project.write(yaml);
  return project;
}

/** Runs a command and returns trimmed stdout, throwing with stderr when it fails. */
export function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout.trim();
}

/** Runs the environment's python with a snippet; returns { code, stdout, stderr }. */
export function py(envDir: string, code: string, env: NodeJS.ProcessEnv = {}): CliResult {
  const clean: NodeJS.ProcessEnv = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: env['HOME'] ?? os.tmpdir(), ...env };
  const r = spawnSync(path.join(envDir, 'bin', 'python'), ['-c', code], { encoding: 'utf8', env: clean });
  return { code: r.status, stdout: r.stdout.trim(), stderr: r.stderr };
}
