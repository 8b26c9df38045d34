/**
 * A digest of a whole directory tree — names, types, modes, link targets and file bytes — to
 * prove that something (the system's dist-packages) was not changed by a test.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export function treeDigest(root: string): string {
  const hash = createHash('sha256');
  const walk = (rel: string) => {
    const abs = path.join(root, rel);
    for (const name of fs.readdirSync(abs).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const st = fs.lstatSync(path.join(root, r));
      hash.update(`${r}\0${st.mode}\0`);
      if (st.isSymbolicLink()) hash.update(fs.readlinkSync(path.join(root, r)));
      else if (st.isDirectory()) walk(r);
      else if (st.isFile()) hash.update(fs.readFileSync(path.join(root, r)));
      hash.update('\n');
    }
  };
  walk('');
  return hash.digest('hex');
}
