import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors/user-error.js';
import { loadManifest } from '../manifest/index.js';
import { didYouMean } from '../manifest/did-you-mean.js';
import type { EnvironmentOutcome } from '../apply/execute-environment.js';

export interface UsableEnvironment {
  readonly name: string;
  readonly path: string;
  readonly prompt: string;
  /** What applying it first did (empty when it was up to date or sync was skipped). */
  readonly applied: readonly EnvironmentOutcome[];
}

export interface UseOptions {
  /** Apply the environment first when it is out of date (default true). */
  readonly sync?: boolean;
  readonly wait?: boolean;
  readonly signal?: AbortSignal;
}

/**
 * The environment `envbuild run` and `envbuild shell` enter: named, or the only one of the
 * manifest; brought up to date first (as `uv run` does) unless sync is off, in which case it
 * must already exist.
 */
export async function useEnvironment(manifestFile: string, name: string | undefined, options: UseOptions = {}): Promise<UsableEnvironment> {
  const manifest = await loadManifest(manifestFile);
  const names = manifest.environments.map((e) => e.name);
  const chosen = name ?? (names.length === 1 ? names[0] : undefined);
  if (chosen === undefined) {
    throw new UserError('EUNKNOWN_ENV', `${manifest.file} has ${names.length} environments: name one`, {
      hint: `environments: ${names.join(', ') || '(none)'}`,
    });
  }
  const spec = manifest.environments.find((e) => e.name === chosen);
  if (!spec) {
    const near = didYouMean(chosen, names);
    throw new UserError('EUNKNOWN_ENV', `no environment named "${chosen}" in ${manifest.file}${near ? `; did you mean "${near}"?` : ''}`, {
      hint: `environments: ${names.join(', ') || '(none)'}`,
    });
  }
  let applied: readonly EnvironmentOutcome[] = [];
  if (options.sync !== false) {
    const { apply } = await import('./run-apply.js');
    const result = await apply(manifest.file, {
      only: [spec.name],
      progress: 'silent',
      ...(options.wait ? { wait: true } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    applied = result.outcomes;
  } else if (!fs.existsSync(path.join(spec.path, 'bin', 'python'))) {
    throw new UserError('ENOTBUILT', `environment ${spec.name} is not built (${spec.path} has no bin/python)`, {
      hint: 'run envbuild apply, or leave out --no-sync',
    });
  }
  return { name: spec.name, path: spec.path, prompt: spec.prompt, applied };
}

/**
 * The process environment of a command run inside an environment, as activation would set
 * it but without running a script: its bin first on PATH, VIRTUAL_ENV, no PYTHONHOME.
 */
export function activatedVariables(env: { readonly path: string }, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const vars: NodeJS.ProcessEnv = { ...base };
  const bin = path.join(env.path, 'bin');
  const rest = (base['PATH'] ?? '').split(path.delimiter).filter((p) => p !== '' && p !== bin);
  vars['PATH'] = [bin, ...rest].join(path.delimiter);
  vars['VIRTUAL_ENV'] = env.path;
  delete vars['PYTHONHOME'];
  return vars;
}

/** A command name as the shell would find it on `PATH`; paths are taken as given. */
export function findExecutable(command: string, pathVar: string | undefined): string | null {
  if (command.includes('/')) return command;
  for (const dir of (pathVar ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // Not here: keep looking, as execvp does.
    }
  }
  return null;
}
