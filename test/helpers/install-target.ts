/** Where installer tests install: a new environment for a fake interpreter, its prefix made. */
import fs from 'node:fs';
import path from 'node:path';
import { targetFor } from '../../src/install/index.js';
import type { InstallTarget } from '../../src/install/types.js';
import { fakePythonInfo } from './fake-python.js';

export function installTarget(dir: string, name = 'env'): InstallTarget {
  const target = targetFor(path.join(dir, name), fakePythonInfo());
  fs.mkdirSync(target.prefix);
  return target;
}
