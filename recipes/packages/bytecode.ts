/**
 * The packages part's installer settings: `install-mode` (how wheel files reach the environment)
 * and `compile-bytecode` (one `python -m compileall` over what was installed, as uv's
 * `--compile-bytecode`: off by default, since Python compiles a module on its first import).
 */
import type { ApplyContext, InstallOptions } from 'envbuild/recipe';
import type { PackagesOptions } from './declared.js';

/** Installer options from the part's options; `install-mode` wins over ENVBUILD_LINK_MODE. */
export function wheelOptions(options: PackagesOptions): InstallOptions {
  const mode = options['install-mode'];
  return mode === undefined ? {} : { linkMode: mode };
}

/**
 * Compiles the `.py` files among `files` (absolute paths inside the environment) with the
 * environment's interpreter: one process, the file list on stdin (`compileall -i -`), so a
 * large install needs no long command line. `-q` keeps it quiet; failures of single modules
 * (syntax for another Python version, as some wheels ship) are reported, not fatal, as pip does.
 */
export async function compileInstalled(ctx: Pick<ApplyContext<unknown>, 'exec' | 'log' | 'env'>, options: PackagesOptions, files: readonly string[]): Promise<void> {
  if (options['compile-bytecode'] !== true) return;
  const sources = files.filter((f) => f.endsWith('.py'));
  if (sources.length === 0) return;
  const result = await ctx.exec(ctx.env.python, ['-m', 'compileall', '-q', '-i', '-'], {
    input: `${sources.join('\n')}\n`,
    // Compile whatever the user's shell says about bytecode.
    env: { PYTHONDONTWRITEBYTECODE: undefined },
    allowFailure: true,
  });
  if (result.code !== 0) ctx.log(`warning: compileall could not compile some modules (exit ${result.code}): ${(result.stdout + result.stderr).trim().split('\n').slice(-3).join(' ')}`);
  else ctx.log(`compiled ${sources.length} module${sources.length === 1 ? '' : 's'} to bytecode`);
}
