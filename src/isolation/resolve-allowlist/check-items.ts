import fs from 'node:fs';
import path from 'node:path';
import { satisfies, validRange } from '@renovatebot/pep440';
import { foreignExtensions } from '../extension-abi.js';
import { cmp, firstRootAt, itemName, itemSite, type Included, type ResolveContext } from './context.js';
import type { Exposed } from './expose-items.js';
import { exists } from './match-entries.js';

/**
 * Step 4: what would break in the environment — extension modules the target interpreter
 * cannot load (an error), a Requires-Python it does not satisfy (a warning), and two items
 * claiming the same path in the overlay (an error at the entries of both).
 */
export function checkExposed(ctx: ResolveContext, exposed: readonly Exposed[]): void {
  for (const e of exposed) {
    checkExtensionAbi(ctx, e);
    checkRequiresPython(ctx, e.inc);
  }
  checkConflicts(ctx, exposed);
}

/** Extension modules among the exposed files that are built for another interpreter. */
export function checkExtensionAbi(ctx: ResolveContext, { inc, expose }: Exposed): void {
  const { python, globals } = ctx;
  const item = inc.item;
  const site = itemSite(item);
  const list = item.kind === 'dist' ? globals.fileList(item.dist) : null;
  let files: string[] = [];
  if (list) {
    files = list.files.filter((f) => expose.some((e) => f === e || f.startsWith(`${e}/`)));
  } else {
    for (const e of expose) walkFiles(site, e, files);
  }
  const foreign = foreignExtensions(files, python).filter((f) => exists(path.join(site, f.file)));
  if (foreign.length === 0) return;
  for (const root of inc.roots) {
    ctx.diagnostics.error(
      root.at,
      `${itemName(item)} has extension modules built for another interpreter: ${foreign
        .map((f) => path.join(site, f.file))
        .join(', ')}; ${python.executable} (Python ${python.version}) loads only ${python.extensionSuffixes.join(', ')}`,
      `install ${itemName(item)} for Python ${python.version}, or build the environment on the interpreter it was built for`,
    );
  }
}

/** A distribution whose Requires-Python the target does not satisfy: allowed, with a warning. */
export function checkRequiresPython(ctx: ResolveContext, inc: Included): void {
  if (inc.item.kind !== 'dist') return;
  const { dist } = inc.item;
  const rp = dist.requiresPython?.replace(/\s+/g, '');
  if (!rp || !validRange(rp) || satisfies(ctx.python.version, rp, { prereleases: true })) return;
  ctx.diagnostics.warn(
    firstRootAt(inc),
    `${dist.name} ${dist.version} declares Requires-Python "${dist.requiresPython}", which Python ${ctx.python.version} does not satisfy`,
  );
}

/** Two items may not claim the same overlay path (or one a path inside the other's). */
export function checkConflicts(ctx: ResolveContext, exposed: readonly Exposed[]): void {
  const linkOwners = new Map<string, { target: string; inc: Included }>();
  for (const { inc, expose } of exposed) {
    const site = itemSite(inc.item);
    for (const e of expose) {
      const targetPath = `${site}/${e}`;
      for (const [other, owner] of linkOwners) {
        const clash = other === e ? owner.target !== targetPath : other.startsWith(`${e}/`) || e.startsWith(`${other}/`);
        if (!clash || owner.inc === inc) continue;
        for (const root of new Set([...inc.roots, ...owner.inc.roots])) {
          ctx.diagnostics.error(
            root.at,
            `${itemName(inc.item)} (${targetPath}) and ${itemName(owner.inc.item)} (${owner.target}) both provide ${e === other ? e : `${e} / ${other}`}`,
            'allow only one of them',
          );
        }
      }
      linkOwners.set(e, { target: targetPath, inc });
    }
  }
}

/**
 * Files under a path on disk, relative to `root`, caches skipped. The exposed entry itself may
 * be a symlink; links below it are not followed (a cycle would never end).
 */
function walkFiles(root: string, rel: string, out: string[], top = true): void {
  const abs = path.join(root, rel);
  let stat: fs.Stats;
  try {
    stat = top ? fs.statSync(abs) : fs.lstatSync(abs);
  } catch {
    return;
  }
  if (!stat.isDirectory()) {
    out.push(rel);
    return;
  }
  for (const name of fs.readdirSync(abs).sort(cmp)) {
    if (name === '__pycache__') continue;
    walkFiles(root, `${rel}/${name}`, out, false);
  }
}
