/**
 * The suite's promise that the system stays untouched (issue 6): the global site directories
 * the tests build environments from and run pip against are digested before the whole suite
 * and after it, and the run fails, naming what changed, if any digest differs.
 *
 * Debian's dist-packages (~50 MB) is digested by content. pyenv's site-packages add up to
 * ~750 MB here (~9 s to read), so they are digested by metadata: type, mode, size, inode,
 * link target, and mtime and ctime in nanoseconds. Any write, chmod, rename or replacement
 * changes the ctime, which user space cannot set back, so that is as strict a change detector
 * as reading the bytes, for ~1 s in all.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pyenvRoot } from './helpers/require-python.js';
import { describeTree, treeChanges } from './helpers/tree-snapshot.js';

interface Site {
  readonly dir: string;
  readonly byContent: boolean;
}

function sites(): Site[] {
  const found: Site[] = [];
  for (const dir of ['/usr/lib/python3/dist-packages', '/usr/local/lib/python3.11/dist-packages']) {
    if (fs.existsSync(dir)) found.push({ dir, byContent: true });
  }
  const versions = path.join(pyenvRoot(), 'versions');
  for (const v of fs.existsSync(versions) ? fs.readdirSync(versions).sort() : []) {
    const lib = path.join(versions, v, 'lib');
    for (const py of fs.existsSync(lib) ? fs.readdirSync(lib).filter((n) => /^python\d+\.\d+$/.test(n)) : []) {
      const dir = path.join(lib, py, 'site-packages');
      if (fs.existsSync(dir)) found.push({ dir, byContent: false });
    }
  }
  return found;
}

/** One line per path under the site: what it is, as strictly as the site is digested. */
const describe = (site: Site): Map<string, string> => describeTree(site.dir, { by: site.byContent ? 'content' : 'metadata' });

export default function setup(): () => void {
  const started = Date.now();
  const watched = sites();
  const before = watched.map(describe);
  const entries = before.reduce((n, m) => n + m.size, 0);
  const cost = Date.now() - started;
  return () => {
    const t = Date.now();
    const changed: string[] = [];
    watched.forEach((site, i) => {
      const diff = treeChanges(before[i]!, describe(site));
      if (diff.length > 0) changed.push(`${site.dir}:\n${diff.slice(0, 20).map((d) => `    ${d}`).join('\n')}${diff.length > 20 ? `\n    … and ${diff.length - 20} more` : ''}`);
    });
    const summary = `${watched.length} global site directories, ${entries} entries (digest ${cost} ms before, ${Date.now() - t} ms after)`;
    if (changed.length > 0) {
      // vitest reports an error thrown here but still exits 0: set the exit code as well.
      process.exitCode = 1;
      throw new Error(`the test suite changed the system's site directories: ${summary}\n  ${changed.join('\n  ')}`);
    }
    console.log(`system untouched: ${summary} identical`);
  };
}
