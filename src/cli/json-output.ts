/**
 * The `--json` contract: every document a command prints with `--json` carries `format` (the
 * contract's version) and `command`, and matches `schemas/json/<command>.schema.json`. Fields
 * may be added within a format; renaming or removing one, or changing its meaning, bumps
 * `format`. Automation (the Ansible collection in `ansible/`) relies on exactly this.
 */
export const JSON_FORMAT = 1;

export type JsonCommand = 'plan' | 'apply' | 'destroy' | 'check' | 'validate' | 'pythons' | 'lock' | 'error';

export function jsonDocument(command: JsonCommand | string, body: object): string {
  return JSON.stringify({ format: JSON_FORMAT, command, ...body }, null, 2);
}

/** Whether an apply or destroy changed anything on disk: what `changed` means to automation. */
export function changedAnything(outcomes: ReadonlyArray<{ readonly action: string; readonly written: number; readonly removed: number; readonly parts?: ReadonlyArray<unknown> }>): boolean {
  return outcomes.some((o) => o.action !== 'no-op' || o.written > 0 || o.removed > 0 || (o.parts?.length ?? 0) > 0);
}
