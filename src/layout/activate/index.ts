import { renderBashActivate } from './bash.js';
import type { ActivationContext, ActivationScript } from './context.js';
import { renderCshActivate } from './csh.js';
import { renderFishActivate } from './fish.js';
import { renderNuActivate } from './nu.js';
import { renderPowerShellActivate } from './powershell.js';
import { assertActivationContext } from './validate.js';
import type { FileEntry } from '../tree.js';

export type { ActivationContext, ActivationScript } from './context.js';
export { renderBashActivate } from './bash.js';
export { renderCshActivate } from './csh.js';
export { renderFishActivate } from './fish.js';
export { renderNuActivate } from './nu.js';
export { renderPowerShellActivate } from './powershell.js';
export { assertActivationContext } from './validate.js';

/** Every activation script, by the file name venv (and virtualenv, for nushell) gives it. */
const RENDERERS: readonly { readonly fileName: string; readonly render: (ctx: ActivationContext) => string }[] = [
  { fileName: 'activate', render: renderBashActivate },
  { fileName: 'activate.csh', render: renderCshActivate },
  { fileName: 'activate.fish', render: renderFishActivate },
  { fileName: 'activate.nu', render: renderNuActivate },
  { fileName: 'Activate.ps1', render: renderPowerShellActivate },
];

/**
 * The activation scripts of an environment, in a fixed order. Pure. Throws a UserError for a
 * context no script can carry (see `assertActivationContext`). Each script becomes a 0o644 file
 * in `binName`: they are sourced, never executed, so like venv's they have no executable bit.
 */
export function renderActivationScripts(ctx: ActivationContext): ActivationScript[] {
  assertActivationContext(ctx);
  return RENDERERS.map(({ fileName, render }) => ({ fileName, content: render(ctx) }));
}

/**
 * The activation scripts as entries of the environment's tree (`bin/activate`, …, mode 0o644),
 * for any layout that has a POSIX `bin/`: the venv layout, and the classic one.
 */
export function renderActivationEntries(ctx: ActivationContext): FileEntry[] {
  return renderActivationScripts(ctx).map((s) => ({ kind: 'file', path: `${ctx.binName}/${s.fileName}`, content: s.content, mode: 0o644 }));
}
