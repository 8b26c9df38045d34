/**
 * Paths and URLs as a lock records them, so that the same lock is written from any checkout
 * and on any machine: project paths relative to the manifest directory (POSIX), system paths
 * (`/usr/…`, `/opt/…`) absolute as they are the same everywhere, `file://` URLs as paths, and
 * URL credentials as the manifest's `${env:…}` references — never their values.
 */
import path from 'node:path';

const SYSTEM = /^\/(usr|opt|lib|lib64|etc|var\/lib)\//;

export function portablePath(absolute: string, manifestDir: string): string {
  if (SYSTEM.test(absolute)) return absolute;
  const rel = path.relative(manifestDir, absolute);
  return rel === '' ? '.' : rel.split(path.sep).join('/');
}

export function absolutePath(recorded: string, manifestDir: string): string {
  return path.isAbsolute(recorded) ? recorded : path.resolve(manifestDir, recorded);
}

const USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)([^/@]*@)?([^/?#]*)(.*)$/i;

/**
 * `https://user:token@host/…` → the same URL with the userinfo the manifest wrote for that
 * host (`${env:USER}:${env:TOKEN}@`), or none. `written` are the option values as written,
 * before interpolation.
 */
export function portableUrl(url: string, written: readonly string[]): string {
  const m = USERINFO.exec(url);
  if (!m) return url;
  const [, scheme, , host, rest] = m as unknown as [string, string, string | undefined, string, string];
  for (const w of written) {
    const wm = USERINFO.exec(w);
    if (wm && wm[3] === host && wm[2] && /\$\{env:/.test(wm[2])) return `${scheme}${wm[2]}${host}${rest}`;
  }
  return `${scheme}${host}${rest}`;
}

/** `${env:NAME}` references in a recorded URL, resolved for use; unknown ones are left for pip to fail on visibly. */
export function resolveUrl(url: string, env: NodeJS.ProcessEnv): string {
  return url.replace(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, name: string) => env[name] ?? whole);
}
