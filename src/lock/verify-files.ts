/**
 * Checks the local files a lock names against their locked sha256, before anything is
 * installed. Unchanged files (same fingerprint as when last hashed) are not read again.
 */
import type { EnvironmentLock } from './model.js';
import { FileHashes } from './file-fingerprints.js';
import { absolutePath } from './paths.js';

export async function fileProblems(lock: EnvironmentLock, manifestDir: string, hashes?: FileHashes): Promise<string[]> {
  const known = hashes ?? (await FileHashes.open());
  const out: string[] = [];
  for (const p of lock.packages) {
    const s = p.source;
    if ((s.kind !== 'wheel' && s.kind !== 'sdist' && s.kind !== 'archive') || s.path === undefined) continue;
    let now: string;
    try {
      now = await known.sha256(absolutePath(s.path, manifestDir));
    } catch {
      out.push(`file: ${s.path} (${p.name} ${p.version ?? ''}) is locked but missing`);
      continue;
    }
    if (now !== s.sha256) out.push(`hash mismatch: ${s.path} (${p.name} ${p.version ?? ''}) has sha256 ${now.slice(0, 16)}…, the lock says ${s.sha256.slice(0, 16)}…`);
  }
  if (hashes === undefined) await known.save();
  return out;
}
