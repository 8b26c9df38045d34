import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors/user-error.js';

export const MANIFEST_NAME = 'env.yaml';

/**
 * The manifest a command works on: the one named, else `env.yaml` in `cwd` or the nearest
 * parent directory that has one (as git finds `.git` and npm `package.json`), so commands
 * work from any subdirectory of a project.
 */
export function findManifest(named: string | undefined, cwd: string, options: { stateSuffices?: boolean } = {}): string {
  if (named !== undefined) return path.resolve(cwd, named);
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, MANIFEST_NAME);
    if (fs.existsSync(candidate)) return candidate;
    // destroy works from the state alone once the manifest is gone: its state file names it.
    if (options.stateSuffices && (fs.existsSync(path.join(dir, '.envbuild', `${MANIFEST_NAME}.state.json`)) || fs.existsSync(path.join(dir, '.envbuild', 'state.json')))) {
      return candidate;
    }
    if (path.dirname(dir) === dir) break;
  }
  throw new UserError('ENOENT', `no ${MANIFEST_NAME} in ${cwd} or any parent directory`, {
    hint: `run envbuild init to write one here, or name the manifest: envbuild plan path/to/${MANIFEST_NAME}`,
  });
}
