/**
 * Literal strings for each shell's activation script. Every function returns a complete,
 * self-delimited word whose value is exactly `s`, whatever it contains; callers reject control
 * characters beforehand (a newline cannot be written safely in every one of these languages).
 */

/** POSIX sh, bash, zsh: single quotes hold everything but `'`, written as `'\''`. */
export function shQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** fish: inside single quotes only `\'` and `\\` are escapes. */
export function fishQuote(s: string): string {
  return `'${s.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}

/**
 * csh/tcsh: as sh, and `!` must be escaped even inside single quotes, because csh performs
 * history substitution before it looks at quotes.
 */
export function cshQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`).replaceAll('!', '\\!')}'`;
}

/** nushell: double quotes, where `\` starts an escape and `"` must be escaped. No interpolation. */
export function nuQuote(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * PowerShell: single quotes are verbatim; a quote is doubled. PowerShell also treats the
 * typographic single quotes U+2018–U+201B as quote characters, so they are doubled too.
 */
export function powershellQuote(s: string): string {
  return `'${s.replace(/['\u2018\u2019\u201A\u201B]/g, (c) => c + c)}'`;
}

/**
 * Text shown literally in bash's PS1. Prompt strings are decoded (`\\` → `\`) and then expanded
 * as if double-quoted (promptvars, on by default): `\`, `$` and `` ` `` must survive both steps.
 */
export function bashPromptLiteral(s: string): string {
  return s.replace(/[\\$`]/g, (c) => (c === '\\' ? '\\\\\\\\' : `\\\\${c}`));
}

/** Text shown literally in zsh's PS1 (PROMPT_PERCENT is on by default; PROMPT_SUBST is off). */
export function zshPromptLiteral(s: string): string {
  return s.replaceAll('%', '%%');
}

/** Text shown literally in tcsh's prompt, where `%` starts a sequence. */
export function cshPromptLiteral(s: string): string {
  return s.replaceAll('%', '%%');
}
