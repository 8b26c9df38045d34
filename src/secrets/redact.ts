/**
 * Credentials in URLs — `https://user:token@host/simple`, as pip's index options take them —
 * must never be shown or recorded. Everything envbuild prints passes through `redactText`
 * (the CLI's output, progress lines, error messages of commands run for parts), and what it
 * records (part options and outputs in state.json, the lock holder file) through
 * `redactValue`. Both rewrite the credential to `***` (`https://user:***@host/simple`) wherever
 * a URL carries one, and `redactText` also hides the bare secrets seen so far in part options
 * (`rememberSecrets`), for a program that prints a token on its own.
 */
import { createHash } from 'node:crypto';

// scheme://user:password@  or  scheme://token@ ; userinfo cannot hold whitespace, '/', '?' or
// '#'. A password may hold an unencoded '@' (pip accepts it): it runs to the authority's last '@'.
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:@/?#"'<>]*)(?::([^\s/?#"'<>]*))?@/gi;
// ?token=…, &access_token=…, &password=…, &api_key=… in a URL's query string.
const QUERY_SECRET = /([?&](?:[a-z0-9_-]*token|password|passwd|secret|[a-z0-9_-]*key|auth)=)([^&#\s"'<>]+)/gi;
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
function secretOf(c: Credential): string | undefined {
  if (c.password !== undefined) return c.password === '' || c.password === MASK ? undefined : c.password;
  return /^https?:\/\/$/i.test(c.scheme) && c.user !== '' && c.user !== MASK ? c.user : undefined;
}

function rewriteCredentials(text: string, replace: (secret: string) => string): string {
  return text
    .replace(USERINFO, (whole, scheme: string, user: string, password: string | undefined) => {
      const secret = secretOf({ scheme, user, password });
      if (secret === undefined) return whole;
      return password !== undefined ? `${scheme}${user}:${replace(secret)}@` : `${scheme}${replace(secret)}@`;
    })
    .replace(QUERY_SECRET, (whole, key: string, value: string) => (value === MASK ? whole : `${key}${replace(value)}`));
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
  for (const secret of known) if (out.includes(secret)) out = out.split(secret).join(MASK);
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
      for (const form of new Set([secret, safeDecode(secret)])) if (form.length >= MIN_KNOWN_SECRET) known.add(form);
      return secret;
    });
    return s;
  });
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
