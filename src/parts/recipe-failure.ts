import { UserError } from '../errors/user-error.js';
import { redactText } from '../secrets/redact.js';

/**
 * Labels an error from a recipe with the part it ran for. A UserError keeps its message and
 * hint; anything else is a bug in the recipe (not in envbuild), so its stack is kept for the
 * recipe's author.
 */
export function recipeFailure(part: string, recipe: string, phase: 'plan' | 'apply' | 'remove', e: unknown): UserError {
  if (e instanceof UserError) {
    // Errors of ctx.exec already name the part.
    const prefix = `part ${part} (${recipe}): `;
    return new UserError(e.code, redactText(e.message.startsWith(prefix) ? e.message : `${prefix}${e.message}`), { ...(e.hint ? { hint: e.hint } : {}), cause: e });
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
