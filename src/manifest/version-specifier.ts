import { code } from './describe.js';
import type { Diagnostics } from './diagnostics.js';
import type { PendingSpecifier } from './normalise-context.js';

/** Reports each invalid PEP 440 specifier at its value; loads the parser only if there are any. */
export async function checkVersionSpecifiers(pending: readonly PendingSpecifier[], diagnostics: Diagnostics): Promise<void> {
  const written = pending.filter((p) => p.specifier.trim() !== ''); // empty: reported by the schema
  if (written.length === 0) return;
  const { validRange } = await import('@renovatebot/pep440');
  for (const { specifier, at, keyPath } of written) {
    if (validRange(specifier)) continue;
    diagnostics.error(`invalid PEP 440 version specifier ${code(specifier)}`, at, { keyPath, hint: specifierHint(specifier) });
  }
}

/** The usual slips, from pip habits and from semver ranges. */
function specifierHint(specifier: string): string {
  const s = specifier.trim();
  const bare = s.replace(/^v/, '');
  if (/^v?\d[\w.!+-]*$/.test(s)) return `add an operator: ${code(`==${bare}`)} or ${code(`>=${bare}`)}`;
  if (/\d\s+[<>=!~]/.test(s)) return `separate clauses with commas: ${code(s.replace(/(\d)\s+(?=[<>=!~])/g, '$1,'))}`;
  if (/^[<>]=?\s*[\d.]+\.\*$/.test(s)) return 'a wildcard (`.*`) only goes with `==` or `!=`';
  if (/^[\^~]\d/.test(s)) return `PEP 440 has no ${code(s[0] ?? '')} ranges; write e.g. ${code(`~=${s.slice(1)}`)} or ${code(`>=${s.slice(1)}`)}`;
  return 'e.g. `>=6`, `>=6,<7`, `~=6.0` or `==6.*`';
}
