/**
 * Checks the local files a lock names against their locked sha256, before anything is
 * installed. Unchanged files (same fingerprint as when last hashed) are not read again.
 */
import type { EnvironmentLock, LockSource } from './model.js';
import { FileHashes } from './file-fingerprints.js';
import { absolutePath } from './paths.js';

export async function fileProblems(lock: EnvironmentLock, manifestDir: string, hashes?: FileHashes): Promise<string[]> {
  const out: string[] = [];
  // The record is read only for a lock that names local files: most name none, and a plan
  // checks one lock per environment.
  let known = hashes;
  for (const p of lock.packages) {
    const s = p.source;
    if (!isLocalFile(s)) continue;
    known ??= await FileHashes.open();
    let now: string;
    try {
      now = await known.sha256(absolutePath(s.path, manifestDir));
    } catch {
      out.push(`file: ${s.path} (${p.name} ${p.version ?? ''}) is locked but missing`);
      continue;
    }
    if (now !== s.sha256) out.push(`hash mismatch: ${s.path} (${p.name} ${p.version ?? ''}) has sha256 ${now.slice(0, 16)}…, the lock says ${s.sha256.slice(0, 16)}…`);
  }
  if (hashes === undefined) await known?.save();
  return out;
}

function isLocalFile(s: LockSource): s is Extract<LockSource, { sha256: string }> & { path: string } {
  return (s.kind === 'wheel' || s.kind === 'sdist' || s.kind === 'archive') && s.path !== undefined;
}

/** Whether the lock names a local file (only such a lock needs the fingerprint record). */
export function namesLocalFiles(lock: EnvironmentLock): boolean {
  return lock.packages.some((p) => isLocalFile(p.source));
}
