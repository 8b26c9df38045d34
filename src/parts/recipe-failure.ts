import { formatLocation, type SourceLocation } from '../errors/diagnostic.js';
import { userErrorFromErrno } from '../errors/errno.js';
import { UserError } from '../errors/user-error.js';
import { redactText } from '../secrets/redact.js';

/**
 * Labels an error from a recipe with the part it ran for. A UserError keeps its message and
 * hint; anything else is a bug in the recipe (not in envbuild), so its stack is kept for the
 * recipe's author.
 */
export function recipeFailure(
  part: string,
  recipe: string,
  phase: 'plan' | 'apply' | 'remove',
  thrown: unknown,
  locateOption?: (option: ReadonlyArray<string | number>) => SourceLocation | undefined,
): UserError {
  // A full disk met by a recipe is no bug of the recipe's.
  const e = thrown instanceof UserError ? thrown : (userErrorFromErrno(thrown) ?? thrown);
  if (e instanceof UserError) {
    // Errors of ctx.exec already name the part.
    const prefix = `part ${part} (${recipe}): `;
    const message = e.message.startsWith(prefix) ? e.message : `${prefix}${e.message}`;
    // An error about one option is told where that option is written in the manifest.
    const at = e.option && locateOption?.(e.option);
    const located = at ? `${formatLocation(at)}: ${message}` : message;
    return new UserError(e.code, redactText(located), { ...(e.hint ? { hint: e.hint } : {}), ...(e.option ? { option: e.option } : {}), cause: e });
  }
  const err = e instanceof Error ? e : new Error(String(e));
  return new UserError('ERECIPE_BUG', redactText(`part ${part}: recipe ${recipe} failed unexpectedly during ${phase}: ${err.message}\n${indent(err.stack ?? '')}`), {
    hint: `this is a bug in the recipe "${recipe}"; report it to its author with the trace above`,
    cause: e,
  });
}

function indent(text: string): string {
  return text
    .split('\n')
    .slice(1)
    .map((l) => `  ${l.trim()}`)
    .join('\n');
}
