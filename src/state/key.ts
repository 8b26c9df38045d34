import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../errors/user-error.js';

/**
 * The per-user secret that signs state files. A state file is a record of commands to run and
 * paths to delete; anyone who can hand the user a state file (a cloned repository, a copied
 * project, a hand edit) could otherwise make envbuild run code. With a MAC keyed by a secret
 * only this user can read, a state envbuild did not write here is recognised and not acted on.
 */
export function configDir(): string {
  const explicit = process.env['ENVBUILD_CONFIG_DIR'];
  if (explicit) return path.resolve(explicit);
  const xdg = process.env['XDG_CONFIG_HOME'];
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.config'), 'envbuild');
}

export function keyPath(): string {
  return path.join(configDir(), 'state-key');
}

/** The key, or null when there is none yet or it is not private to this user (then nothing verifies). */
export async function readKey(): Promise<Buffer | null> {
  try {
    const handle = await fs.open(keyPath(), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    try {
      const st = await handle.stat();
      const mine = typeof process.getuid !== 'function' || st.uid === process.getuid();
      if (!st.isFile() || !mine || (st.mode & 0o077) !== 0) return null;
      const text = (await handle.readFile('utf8')).trim();
      return /^[0-9a-f]{64}$/.test(text) ? Buffer.from(text, 'hex') : null;
    } finally {
      await handle.close();
    }
  } catch {
    return null;
  }
}

/** The key, created (0600, in a 0700 directory) on first use. */
export async function ensureKey(): Promise<Buffer> {
  const existing = await readKey();
  if (existing) return existing;
  const file = keyPath();
  try {
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    const handle = await fs.open(file, 'wx', 0o600);
    try {
      await handle.writeFile(`${randomBytes(32).toString('hex')}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (e) {
    // Another process made it first: use theirs.
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST') {
      throw new UserError('EKEY', `cannot create the key that signs envbuild's state at ${file} (${code ?? (e as Error).message})`, {
        hint: 'make the directory writable, or set ENVBUILD_CONFIG_DIR to a private directory',
      });
    }
  }
  const key = await readKey();
  if (!key) {
    throw new UserError('EKEY', `${file} is not a private key file of this user (mode 0600, owned by you, 64 hex digits)`, {
      hint: 'remove it (states it signed will be treated as not signed once) and run again',
    });
  }
  return key;
}

export function macOf(key: Buffer, body: string): string {
  return createHmac('sha256', key).update(body).digest('hex');
}

export function macMatches(key: Buffer, body: string, mac: string): boolean {
  const want = Buffer.from(macOf(key, body), 'hex');
  const got = Buffer.from(mac, 'hex');
  return got.length === want.length && timingSafeEqual(got, want);
}
