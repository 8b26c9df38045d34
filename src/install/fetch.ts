/**
 * Getting a wheel file: local paths and `file://` URLs are read in place; `http(s)` URLs are
 * downloaded with Node's fetch into the cache's `downloads/`, verified against the pinned
 * sha256, with retries and backoff. Credentials come from `${env:NAME}` references in the URL
 * (as the manifest and lock record them), are sent as an Authorization header and never appear
 * in a message: every URL shown is the unexpanded one, redacted.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors/user-error.js';
import { redactText } from '../secrets/redact.js';
import { DOWNLOADS_DIR, makeTempDir } from './cache.js';
import type { InstallProgress } from './types.js';

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

/**
 * A URL fit to show or record: credentials redacted, except `${env:NAME}` references, which
 * name a secret without holding it (PEP 610 recommends keeping such placeholders); redactText
 * leaves those alone itself.
 */
export function showUrl(url: string): string {
  return redactText(url);
}

/** The file name a URL or path names (percent-decoded). */
export function wheelFilenameOf(source: { path?: string; url?: string }): string {
  if (source.path !== undefined) return path.basename(source.path);
  const url = new URL(expandless(source.url ?? ''));
  return decodeURIComponent(url.pathname.split('/').pop() ?? '');
}

/** URL with `${env:…}` references made harmless for parsing (their text is not needed for the name). */
function expandless(url: string): string {
  return url.replace(/\$\{env:[A-Za-z_][A-Za-z0-9_]*\}/g, 'x');
}

export function localPathOf(source: { path?: string; url?: string }): string | undefined {
  if (source.path !== undefined) return path.resolve(source.path);
  if (source.url?.startsWith('file:')) return fileURLToPath(source.url);
  return undefined;
}

function expandEnv(url: string, env: Readonly<Record<string, string | undefined>>): string {
  return url.replace(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
    const value = env[name];
    if (value === undefined) throw new UserError('EFETCH', `${redactText(url)} needs the environment variable ${name}, which is not set`, { hint: `export ${name}=… (its value is never shown)` });
    return encodeURIComponent(value);
  });
}

/** A request for `url` with its userinfo moved into an Authorization header (fetch refuses URLs with credentials). */
function request(url: string): { href: string; headers: Record<string, string> } {
  const u = new URL(url);
  const headers: Record<string, string> = {};
  if (u.username !== '' || u.password !== '') {
    headers['authorization'] = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
    u.username = '';
    u.password = '';
  }
  return { href: u.href, headers };
}

export interface DownloadOptions {
  readonly cacheDir: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly retries: number;
  readonly retryDelayMs: number;
  readonly onProgress: ((e: InstallProgress) => void) | undefined;
  readonly signal: AbortSignal | undefined;
}

/** A status worth retrying: rate limits and server errors; other 4xx are final. */
const retriable = (status: number) => status === 408 || status === 429 || status >= 500;

/**
 * Downloads `url` into a temporary file in the cache and checks its sha256. Returns the file;
 * the caller removes it once unpacked.
 */
export async function download(url: string, sha256: string, filename: string, o: DownloadOptions): Promise<string> {
  const shown = showUrl(url);
  const { href, headers } = request(expandEnv(url, o.env));
  let lastProblem = '';
  let attempts = 0;
  for (let attempt = 0; attempt <= o.retries; attempt++) {
    attempts = attempt + 1;
    if (attempt > 0) await sleep(o.retryDelayMs * 2 ** (attempt - 1), o.signal);
    const dir = await makeTempDir(o.cacheDir, DOWNLOADS_DIR, sha256);
    const file = path.join(dir, filename);
    try {
      const res = await fetch(href, { headers, redirect: 'follow', ...(o.signal ? { signal: o.signal } : {}) });
      if (!res.ok || res.body === null) {
        lastProblem = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
        await res.body?.cancel();
        await fs.rm(dir, { recursive: true, force: true });
        if (retriable(res.status)) continue;
        break;
      }
      const total = Number(res.headers.get('content-length') ?? '') || undefined;
      const actual = await saveBody(res.body, file, filename, total, o.onProgress);
      if (actual !== sha256) {
        await fs.rm(dir, { recursive: true, force: true });
        throw new UserError('EHASH', `${shown}: sha256 ${actual} does not match the pinned ${sha256}`, { hint: 'the file changed on the server or in transit; nothing was installed from it' });
      }
      return file;
    } catch (e) {
      await fs.rm(dir, { recursive: true, force: true });
      if (e instanceof UserError || o.signal?.aborted) throw e;
      lastProblem = redactText((e as Error).cause instanceof Error ? `${(e as Error).message}: ${((e as Error).cause as Error).message}` : (e as Error).message);
    }
  }
  throw new UserError('EFETCH', `cannot download ${shown}: ${lastProblem} (after ${attempts} attempt${attempts === 1 ? '' : 's'})`, { hint: 'check the URL, the network and the credentials it references' });
}

async function saveBody(body: ReadableStream<Uint8Array>, file: string, filename: string, total: number | undefined, onProgress: DownloadOptions['onProgress']): Promise<string> {
  const hash = createHash('sha256');
  let bytes = 0;
  let lastReport = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      bytes += chunk.length;
      // Progress at most every 1 MiB, so a large download reports a few hundred events, not one per chunk.
      if (onProgress && bytes - lastReport >= 1 << 20) {
        lastReport = bytes;
        onProgress({ kind: 'download', wheel: filename, bytes, ...(total !== undefined ? { totalBytes: total } : {}) });
      }
      done(null, chunk);
    },
  });
  await pipeline(Readable.fromWeb(body as Parameters<typeof Readable.fromWeb>[0]), tap, createWriteStream(file));
  onProgress?.({ kind: 'download', wheel: filename, bytes, ...(total !== undefined ? { totalBytes: total } : {}) });
  return hash.digest('hex');
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(signal.reason);
    }, { once: true });
  });
}
