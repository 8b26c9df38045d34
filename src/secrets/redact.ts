/**
 * Credentials in URLs — `https://user:token@host/simple` (a password may hold `@`),
 * `https://TOKEN@host`, `?private_token=…` — must never be shown or recorded. Everything envbuild prints passes through `redactText`
 * (the CLI's output, progress lines, error messages of commands run for parts), and what it
 * records (part options and outputs in state.json, the lock holder file) through
 * `redactValue`. Both rewrite the credential to `***` (`https://user:***@host/simple`) wherever
 * a URL carries one, and `redactText` also hides the bare secrets seen so far in part options
 * (`rememberSecrets`) and every value taken from the environment with `${env:...}`
 * (`rememberEnvValue`), for a program that prints a token on its own. State records options
 * with their `${env:...}` references, never the values (see `recordedForm`).
 */
import { createHash } from 'node:crypto';

// scheme://user:password@  or  scheme://token@ . The userinfo runs to the LAST '@' before the
// host (a password may hold a raw '@': `https://u:p@ss@host` has the password `p@ss`); it
// cannot hold whitespace, '/', '?' or '#'.
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#"'<>]*)@/gi;
// A query parameter: `?key=value` / `&key=value` / `;key=value` (also HTML-escaped `&amp;`).
const QUERY_PARAM = /([?&;](?:amp;)?)([^=&#\s"'<>?]+)=([^&#\s"'<>]*)/gi;
// Parameter names that carry a credential (compared decoded and lower-cased): token,
// private_token, access_token, password, api_key, client_secret, X-Amz-Signature, …
const SECRET_PARAM = /^(?:[a-z0-9]+[_.-])*(?:token|password|passwd|pwd|pass|secret|api[_-]?key|apikey|access[_-]?key|auth|authorization|signature|sig|credential|credentials|session|key)$/i;
const MASK = '***';
// Shorter strings are too likely to occur by chance in ordinary output to be hidden everywhere.
const MIN_KNOWN_SECRET = 6;

const known = new Set<string>();

interface Credential {
  readonly scheme: string;
  readonly user: string;
  readonly password: string | undefined;
}

/** The secret part of a URL's userinfo: its password, or for http(s) a lone user (a token). */
// `${env:NAME}` written in place of a secret: the reference state records, not a secret.
const ENV_REFERENCE = /^\$\{env:[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}$/;

function secretOf(c: Credential): string | undefined {
  if (c.password !== undefined) return c.password === '' || c.password === MASK || ENV_REFERENCE.test(c.password) ? undefined : c.password;
  if (ENV_REFERENCE.test(c.user)) return undefined;
  // A lone user is a token for http(s) (`https://TOKEN@host`, `git+https://TOKEN@host`);
  // for ssh and the like it is a login name (`ssh://git@host`).
  return /^([a-z0-9.-]+\+)?https?:\/\/$/i.test(c.scheme) && c.user !== '' && c.user !== MASK ? c.user : undefined;
}

function rewriteCredentials(text: string, replace: (secret: string) => string): string {
  const withUserinfo = text.replace(USERINFO, (whole, scheme: string, userinfo: string) => {
    if (ENV_REFERENCE.test(userinfo)) return whole;
    const colon = userinfo.indexOf(':');
    const user = colon < 0 ? userinfo : userinfo.slice(0, colon);
    const password = colon < 0 ? undefined : userinfo.slice(colon + 1);
    const secret = secretOf({ scheme, user, password });
    if (secret === undefined) return whole;
    return password !== undefined ? `${scheme}${user}:${replace(secret)}@` : `${scheme}${replace(secret)}@`;
  });
  return withUserinfo.replace(QUERY_PARAM, (whole, sep: string, key: string, value: string) => {
    if (value === '' || value === MASK || ENV_REFERENCE.test(value) || !SECRET_PARAM.test(safeDecode(key))) return whole;
    return `${sep}${key}=${replace(value)}`;
  });
}

function mapStrings(value: unknown, f: (s: string) => string): unknown {
  if (typeof value === 'string') return f(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, f));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, mapStrings(v, f)]));
  }
  return value;
}

/** Text with every URL credential and every remembered secret replaced by `***`. */
export function redactText(text: string): string {
  let out = rewriteCredentials(text, () => MASK);
  // Longest first: a secret that contains another is hidden whole.
  for (const secret of [...known].sort((a, b) => b.length - a.length)) if (out.includes(secret)) out = out.split(secret).join(MASK);
  return out;
}

/** A deep copy of a JSON-like value with every string redacted, for recording. */
export function redactValue<T>(value: T): T {
  return mapStrings(value, redactText) as T;
}

/**
 * A deep copy where each secret is replaced by its hash instead of `***`, for fingerprints:
 * a changed token still changes the fingerprint, and the fingerprint holds no token.
 */
export function digestSecrets<T>(value: T): T {
  return mapStrings(value, (s) => rewriteCredentials(s, (secret) => `sha256:${createHash('sha256').update(secret).digest('hex')}`)) as T;
}

/** Remembers the secrets in these values (e.g. a part's resolved options) so output hides them. */
export function rememberSecrets(value: unknown): void {
  mapStrings(value, (s) => {
    rewriteCredentials(s, (secret) => {
      for (const form of new Set([secret, safeDecode(secret), encodeURIComponent(safeDecode(secret))])) if (form.length >= MIN_KNOWN_SECRET) known.add(form);
      return secret;
    });
    return s;
  });
}

/**
 * Variables whose values are not secrets and appear everywhere in paths and messages: masking
 * them would garble every path under $HOME. Every other `${env:...}` value is treated as a
 * secret: recorded as its reference, hidden from output.
 */
const NOT_SECRET_VARIABLES = new Set([
  'HOME', 'USER', 'LOGNAME', 'PATH', 'PWD', 'OLDPWD', 'SHELL', 'LANG', 'LANGUAGE', 'TERM', 'TMPDIR', 'TMP', 'TEMP', 'HOSTNAME',
  'PYENV_ROOT', 'VIRTUAL_ENV', 'CI', 'TZ',
]);

/** Remembers the value of an environment variable a manifest used, unless it is one of the above. */
export function rememberEnvValue(name: string, value: string): void {
  if (NOT_SECRET_VARIABLES.has(name) || name.startsWith('XDG_') || name.startsWith('LC_')) return;
  for (const form of new Set([value, safeDecode(value), encodeURIComponent(value)])) if (form.length >= MIN_KNOWN_SECRET) known.add(form);
}

/** Top-level keys of `options` whose values carry a credential. */
export function keysWithSecrets(options: Readonly<Record<string, unknown>>): string[] {
  return Object.keys(options)
    .filter((k) => JSON.stringify(digestSecrets(options[k])) !== JSON.stringify(options[k]))
    .sort();
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
