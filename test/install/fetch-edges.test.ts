/**
 * Fetching at its edges, against a server on 127.0.0.1: which HTTP statuses are retried,
 * progress without a Content-Length, file names from URLs, and URLs as shown to the user.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors/index.js';
import { download, localPathOf, showUrl, wheelFilenameOf } from '../../src/install/fetch.js';
import { installWheels, targetFor } from '../../src/install/index.js';
import type { InstallProgress, InstallTarget } from '../../src/install/types.js';
import { fakePythonInfo } from '../helpers/fake-python.js';
import { serveLoopback } from '../helpers/loopback.js';
import { installTarget } from '../helpers/install-target.js';
import { tempDir } from '../helpers/temp-dir.js';
import { buildWheel } from '../helpers/wheel.js';

let tmp: string;
let target: InstallTarget;
let base: string;
let bytes: Buffer;
let sha: string;
/** Statuses to answer before serving the wheel, one per request. */
let script: number[];
let requests: number;
let lengthHeader: boolean;
/** The Authorization header of each request (undefined: none sent). */
let auths: (string | undefined)[];
/** When each request arrived (performance.now()). */
let arrivals: number[];

// One wheel and one server for the file (no test changes either): each mutant reruns its
// covering tests, so per-test set-up is paid hundreds of times.
beforeAll(async () => {
  bytes = fs.readFileSync(await buildWheel(tempDir('envbuild-fetch-edges-wheels-'), { name: 'remote', version: '1.0', modules: { 'remote.py': 'R = 1\n' } }));
  sha = createHash('sha256').update(bytes).digest('hex');
  const server = await serveLoopback((req, res) => {
    requests++;
    arrivals.push(performance.now());
    auths.push(req.headers.authorization);
    const status = script.shift();
    if (status !== undefined) return void res.writeHead(status).end();
    res.writeHead(200, lengthHeader ? { 'content-length': String(bytes.length) } : {});
    res.end(bytes);
  });
  base = server.base;
  return server.close;
});
beforeEach(() => {
  tmp = tempDir('envbuild-fetch-edges-');
  target = installTarget(tmp);
  script = [];
  requests = 0;
  lengthHeader = true;
  auths = [];
  arrivals = [];
});

const url = () => `${base}/files/remote-1.0-py3-none-any.whl`;
const opts = (extra: object = {}) => ({ cacheDir: path.join(tmp, 'cache'), env: {}, retryDelayMs: 1, ...extra });

async function refusal(p: Promise<unknown>): Promise<UserError> {
  const e: unknown = await p.then(() => undefined, (x: unknown) => x);
  if (!(e instanceof UserError)) throw new Error(`expected a UserError, got ${String(e)}`);
  return e;
}

describe('downloads', () => {
  it('retry timeouts (408), rate limits (429) and server errors (500, 502), then succeed', async () => {
    script = [408, 429, 500];
    const { installed } = await installWheels(target, [{ url: url(), sha256: sha }], opts());
    expect(installed.map((d) => d.name)).toEqual(['remote']);
    expect(requests).toBe(4);
  });

  it('wait the back-off before each retry, doubling it', async () => {
    // Lower bounds only: a timer never fires early by more than its rounding, but a loaded
    // machine may fire it late.
    // download() itself: the back-off is all in it, and an install around it would make each
    // mutant of the installer rerun these 45 ms of waiting.
    script = [503, 503];
    const file = await download(url(), sha, 'remote-1.0-py3-none-any.whl', { cacheDir: path.join(tmp, 'cache'), env: {}, retries: 2, retryDelayMs: 15, onProgress: undefined, signal: undefined });
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
    expect(arrivals).toHaveLength(3);
    expect(arrivals[1]! - arrivals[0]!).toBeGreaterThanOrEqual(14);
    expect(arrivals[2]! - arrivals[1]!).toBeGreaterThanOrEqual(29);
  });

  it('do not retry other client errors, and count attempts in the message', async () => {
    for (const status of [400, 401, 403, 499]) {
      script = [status, 500];
      requests = 0;
      const e = await refusal(installWheels(target, [{ url: url(), sha256: sha }], opts()));
      expect(e.message, String(status)).toMatch(new RegExp(`^cannot download ${url().replace(/[.]/g, '\\.')}: HTTP ${status} [A-Za-z ]+ \\(after 1 attempt\\)$`));
      expect(e.hint).toBe('check the URL, the network and the credentials it references');
      expect(requests).toBe(1);
    }
    script = [502, 502];
    requests = 0;
    const e = await refusal(installWheels(target, [{ url: url(), sha256: sha }], opts({ retries: 1 })));
    expect(e.message).toMatch(/: HTTP 502 Bad Gateway \(after 2 attempts\)$/);
    script = [503];
    const once = await refusal(installWheels(target, [{ url: url(), sha256: sha }], opts({ retries: 0 })));
    expect(once.message).toMatch(/\(after 1 attempt\)$/);
    expect(fs.readdirSync(path.join(tmp, 'cache', 'downloads'))).toEqual([]);
  });

  it('name a connection failure and its cause after the retries', async () => {
    const dead = `http://127.0.0.1:1/remote-1.0-py3-none-any.whl`;
    const e = await refusal(installWheels(target, [{ url: dead, sha256: sha }], opts({ retries: 1 })));
    expect(e.message).toMatch(/^cannot download http:\/\/127\.0\.0\.1:1\/remote-1\.0-py3-none-any\.whl: fetch failed: bad port \(after 2 attempts\)$/);
  });

  it('report their size at the end without a Content-Length', async () => {
    lengthHeader = false;
    const events: InstallProgress[] = [];
    await installWheels(target, [{ url: url(), sha256: sha }], opts({ onProgress: (e: InstallProgress) => events.push(e) }));
    expect(events).toEqual([
      { kind: 'download', wheel: 'remote-1.0-py3-none-any.whl', bytes: bytes.length },
      { kind: 'unpack', wheel: 'remote-1.0-py3-none-any.whl' },
      { kind: 'install', wheel: 'remote-1.0-py3-none-any.whl' },
    ]);
  });
});

describe('download requests and refusals', () => {
  it('send no Authorization without credentials, and a token alone as the user name', async () => {
    await installWheels(target, [{ url: url(), sha256: sha }], opts());
    expect(auths).toEqual([undefined]);
    const other = targetFor(path.join(tmp, 'env2'), fakePythonInfo());
    fs.mkdirSync(other.prefix);
    fs.rmSync(path.join(tmp, 'cache'), { recursive: true });
    await installWheels(other, [{ url: url().replace('://', '://${env:TOK}@'), sha256: sha }], opts({ env: { TOK: 'tok en' } }));
    expect(auths[1]).toBe(`Basic ${Buffer.from('tok en:').toString('base64')}`);
  });

  it('carry EFETCH or EHASH with their hints', async () => {
    const unset = await refusal(installWheels(target, [{ url: url().replace('://', '://${env:NOPE}@'), sha256: sha }], opts()));
    expect(unset.code).toBe('EFETCH');
    expect(unset.hint).toBe('export NOPE=… (its value is never shown)');
    script = [404];
    const gone = await refusal(installWheels(target, [{ url: url(), sha256: sha }], opts()));
    expect(gone.code).toBe('EFETCH');
    const hash = await refusal(installWheels(target, [{ url: url(), sha256: 'e'.repeat(64) }], opts()));
    expect(hash.code).toBe('EHASH');
    expect(hash.message).toBe(`${url()}: sha256 ${sha} does not match the pinned ${'e'.repeat(64)}`);
    expect(hash.hint).toBe('the file changed on the server or in transit; nothing was installed from it');
    expect(fs.readdirSync(target.prefix)).toEqual([]);
  });
});

describe('wheel locations', () => {
  it('give the file name from a path or the last URL segment, percent-decoded, ${env:…} allowed', () => {
    expect(wheelFilenameOf({ path: '/x/y/a-1-py3-none-any.whl' })).toBe('a-1-py3-none-any.whl');
    expect(wheelFilenameOf({ url: 'https://${env:U}:${env:T}@h/simple/a/a%2B1-1-py3-none-any.whl?x=1#sha256=0' })).toBe('a+1-1-py3-none-any.whl');
    expect(localPathOf({ path: 'rel/a.whl' })).toBe(path.resolve('rel/a.whl'));
    expect(localPathOf({ url: 'file:///w/a%20b.whl' })).toBe('/w/a b.whl');
    expect(localPathOf({ url: 'https://h/a.whl' })).toBeUndefined();
  });

  it('are shown with ${env:…} references kept and literal credentials hidden', () => {
    expect(showUrl('https://user:${env:TOKEN}@h/a.whl')).toBe('https://user:${env:TOKEN}@h/a.whl');
    expect(showUrl('https://${env:TOKEN}@h/a.whl')).toBe('https://${env:TOKEN}@h/a.whl');
    expect(showUrl('https://user:s3cretvalue@h/a.whl')).toBe('https://user:***@h/a.whl');
    expect(showUrl('https://s3cretvalue@h/a.whl')).toBe('https://***@h/a.whl');
    expect(showUrl('https://user:${env:T}@h/a.whl?token=s3cretvalue')).toBe('https://user:${env:T}@h/a.whl?token=***');
    expect(showUrl('/plain/path/a.whl')).toBe('/plain/path/a.whl');
    expect(showUrl('https://${env:U}:s3cretvalue@h/a.whl')).not.toContain('s3cretvalue');
    expect(showUrl('https://user:pre${env:T}@h/a.whl')).not.toContain('pre');
  });
});
