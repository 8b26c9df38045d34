/** Checks the local files a lock names against their locked sha256, before anything is installed. */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { EnvironmentLock } from './model.js';
import { absolutePath } from './paths.js';

export async function fileProblems(lock: EnvironmentLock, manifestDir: string): Promise<string[]> {
  const out: string[] = [];
  for (const p of lock.packages) {
    const s = p.source;
    if ((s.kind !== 'wheel' && s.kind !== 'sdist' && s.kind !== 'archive') || s.path === undefined) continue;
    let bytes: Buffer;
    try {
      bytes = await readFile(absolutePath(s.path, manifestDir));
    } catch {
      out.push(`file: ${s.path} (${p.name} ${p.version ?? ''}) is locked but missing`);
      continue;
    }
    const now = createHash('sha256').update(bytes).digest('hex');
    if (now !== s.sha256) out.push(`hash mismatch: ${s.path} (${p.name} ${p.version ?? ''}) has sha256 ${now.slice(0, 16)}…, the lock says ${s.sha256.slice(0, 16)}…`);
  }
  return out;
}
