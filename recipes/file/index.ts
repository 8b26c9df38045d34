/**
 * The `file` recipe: a file from inline content or a template, with a mode; rewritten only when
 * its content or mode differ, removed (if unchanged) with its part. See README.md beside this file.
 */
import { lstat, mkdir, readFile, readlink, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { defineRecipe, UserError, type PartDecision, readExisting, writeIfChanged } from 'envbuild/recipe';
import { renderTemplate, type Variables } from './template.js';

export interface FileOptions {
  readonly path: string;
  readonly content?: string;
  readonly template?: string;
  readonly variables?: Variables;
  readonly mode?: string;
}

const OPTIONS = {
  type: 'object',
  additionalProperties: false,
  required: ['path'],
  properties: {
    path: {
      type: 'string',
      minLength: 1,
      description: 'The file to write, inside the environment or the project: absolute, or relative to the manifest directory.',
    },
    content: { type: 'string', description: 'The text of the file (`${...}` in it is resolved by envbuild). Give content or template.' },
    template: {
      type: 'string',
      minLength: 1,
      description: 'A template file, relative to the manifest directory; `${name}` in it is replaced by variables.name, `$${` writes `${`.',
    },
    variables: {
      type: 'object',
      propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_.-]*$' },
      additionalProperties: { type: ['string', 'number', 'boolean'] },
      description: 'Values for `${name}` in the template; their own `${...}` references are resolved by envbuild.',
    },
    mode: { type: 'string', pattern: '^0?[0-7]{3}$', default: '0644', description: 'Permissions, in octal: "0644", "0755", "0600".' },
  },
} as const;

export default defineRecipe<FileOptions>({
  name: 'file',
  version: '1',
  description: 'Writes a file from inline content or a template.',
  options: OPTIONS,

  async plan({ options, previous, changes, env, manifestDir }): Promise<PartDecision> {
    const target = await targetPath(options, manifestDir, env.path);
    const { text, mode } = await desired(options, manifestDir);
    if (previous === null) return { action: 'create', reasons: [`write ${target}`] };
    if (changes.length > 0) return { action: 'update', reasons: changes };
    // Nothing the runner can see changed; a template's content it cannot see.
    const reasons: string[] = [];
    const now = await readExisting(target).catch(() => undefined);
    if (!now) reasons.push(`${target} missing`);
    else if (!now.content.equals(Buffer.from(text))) reasons.push(options.template !== undefined ? `${target} differs from its template` : `${target} edited`);
    else if (now.mode !== mode) reasons.push(`${target} has mode ${octal(now.mode)}, not ${octal(mode)}`);
    return reasons.length > 0 ? { action: 'update', reasons } : { action: 'no-op', reasons: [] };
  },

  async apply(ctx) {
    const { options, manifestDir, previous, env } = ctx;
    const target = await targetPath(options, manifestDir, env.path);
    const { text, mode } = await desired(options, manifestDir);
    const recorded = new Set((previous?.created ?? []).map((c) => c.path));

    const existing = await readExisting(target).catch((e: unknown) => {
      throw new UserError('EFILE', `${target}: ${(e as Error).message}`, { hint: 'choose another path, or remove what is there' });
    });
    if (existing && !recorded.has(target) && !existing.content.equals(Buffer.from(text))) {
      throw new UserError('EFILE', `${target} exists and was not written by this part`, {
        hint: 'envbuild does not overwrite files it did not create: remove it, or choose another path',
      });
    }
    const dirs = await makeParents(path.dirname(target), recorded);
    const outcome = await writeIfChanged(target, text, mode);
    if (outcome === 'written') ctx.log(`wrote ${target}`);
    else if (outcome === 'mode') ctx.log(`set mode ${octal(mode)} on ${target}`);
    return { outputs: { path: target }, created: [...dirs, target] };
  },
});

/**
 * The file's absolute path; it must lie in the environment or the project, the places whose
 * files envbuild records and may later remove (a file elsewhere could never be cleaned up).
 */
async function targetPath(options: FileOptions, manifestDir: string, envPath: string): Promise<string> {
  const target = path.resolve(manifestDir, options.path);
  if (!isInside(envPath, target) && !isInside(manifestDir, target)) {
    throw new UserError('EFILE', `path ${target} is outside the environment (${envPath}) and the project (${manifestDir})`, {
      hint: 'envbuild writes only where it can keep track of what it wrote; write the file inside the project, or link to it from where it is needed',
      option: ['path'],
    });
  }
  await refuseLinkedParents(target, [envPath, manifestDir]);
  return target;
}

function isInside(dir: string, p: string): boolean {
  const rel = path.relative(dir, p);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/**
 * Refuses a target whose parent directories lead, through a symbolic link, out of the places
 * the manifest names (the environment, the project): `link -> /elsewhere` inside the project
 * would otherwise have `path: link/app.ini` written in /elsewhere, which envbuild neither
 * declared nor can keep track of. Links that stay inside those places are followed; the
 * environment or project directory may itself be a link, as the manifest names it.
 */
async function refuseLinkedParents(target: string, roots: readonly string[]): Promise<void> {
  const realRoots = await Promise.all(roots.map((r) => realpath(r).catch(() => r)));
  const allowed = (p: string) => [...roots, ...realRoots].some((r) => isInside(r, p));
  // The deepest existing ancestor of the target, resolved: where a write would really land.
  let existing = path.dirname(target);
  while (!(await exists(existing)) && path.dirname(existing) !== existing) existing = path.dirname(existing);
  // A dangling link cannot be resolved: refused too (a mkdir through it would land anywhere).
  const resolved = await realpath(existing).catch(() => undefined);
  const real = resolved === undefined ? '(a missing place)' : path.join(resolved, path.relative(existing, target));
  if (resolved !== undefined && allowed(real)) return;
  const link = await firstLink(target, roots);
  throw new UserError(
    'EFILE',
    `path ${target} leads through the symbolic link ${link?.path ?? existing}${link ? ` (→ ${link.target})` : ''} to ${real}, outside the environment and the project`,
    {
      hint: 'envbuild does not write through links to places the manifest does not name: write the file inside the project or the environment, not through a link',
      option: ['path'],
    },
  );
}

/** The first symbolic link on the way from the root holding `target` down to it. */
async function firstLink(target: string, roots: readonly string[]): Promise<{ path: string; target: string } | undefined> {
  const root = roots.find((r) => isInside(r, target)) ?? path.parse(target).root;
  let p = root;
  for (const part of path.relative(root, target).split(path.sep)) {
    p = path.join(p, part);
    const st = await lstat(p).catch(() => undefined);
    if (!st) return undefined;
    if (st.isSymbolicLink()) return { path: p, target: await readlink(p) };
  }
  return undefined;
}

async function exists(p: string): Promise<boolean> {
  return lstat(p).then(
    () => true,
    () => false,
  );
}

async function desired(options: FileOptions, manifestDir: string): Promise<{ text: string; mode: number }> {
  // Checked here, not with a schema oneOf: the message can then say what to do.
  if ((options.content === undefined) === (options.template === undefined)) {
    throw new UserError('EFILE', options.content === undefined ? 'give the file a content or a template' : 'give content or template, not both', {
      hint: 'content: inline text; template: a file whose ${name} are filled from variables',
    });
  }
  const mode = parseInt(options.mode ?? '0644', 8);
  if (options.template === undefined) return { text: options.content ?? '', mode };
  const file = path.resolve(manifestDir, options.template);
  let source: string;
  try {
    source = await readFile(file, 'utf8');
  } catch (e) {
    throw new UserError('EFILE', `template ${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`, {
      hint: 'templates are relative to the manifest directory',
    });
  }
  const { text, problems } = renderTemplate(source, options.variables ?? {}, file);
  if (problems.length > 0) {
    throw new UserError('EFILE', `${problems.length} problem${problems.length === 1 ? '' : 's'} in template ${file}:\n${problems.map((p) => `  ${p}`).join('\n')}`, {
      hint: 'give each ${name} a value in variables, or write $${ for a literal ${',
    });
  }
  return { text, mode };
}

/**
 * Creates the missing parents of the file, returning the directories this part made (now or
 * in an earlier apply), so they are removed with it when empty.
 */
async function makeParents(dir: string, recorded: ReadonlySet<string>): Promise<string[]> {
  const missing: string[] = [];
  let d = dir;
  while (!(await isDir(d))) {
    missing.unshift(d);
    const up = path.dirname(d);
    if (up === d) break;
    d = up;
  }
  if (missing.length > 0) await mkdir(dir, { recursive: true });
  const ours: string[] = [];
  for (let p = dir; p !== path.dirname(p); p = path.dirname(p)) {
    if (missing.includes(p) || recorded.has(p)) ours.unshift(p);
  }
  return ours;
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

function octal(mode: number): string {
  return `0${mode.toString(8).padStart(3, '0')}`;
}
