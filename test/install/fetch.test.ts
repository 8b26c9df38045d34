import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { download } from '../../src/install/fetch.js';
import { installWheels, targetFor } from '../../src/install/index.js';
import type { InstallProgress, InstallTarget } from '../../src/install/types.js';
import { fakePythonInfo } from '../helpers/fake-python.js';
import { buildWheel } from '../helpers/wheel.js';
import { serveLoopback } from '../helpers/loopback.js';
import { installTarget } from '../helpers/install-target.js';
import { tempDir } from '../helpers/temp-dir.js';
import { rejection } from '../helpers/user-error.js';

const TOKEN = 's3cr3t-token-value';
const WHEEL = 'remote-1.0-py3-none-any.whl';
const LARGE = 'large-1.0-py3-none-any.whl';
let tmp: string;
let target: InstallTarget;
let base: string;
/** The wheels the server holds, by file name: built once for the file (no test changes them). */
const served = new Map<string, Buffer>();
let wheelBytes: Buffer;
let sha256: string;
/** What the server saw: one line per request. */
let log: string[];
/** Requests to fail with 503 before serving. */
let failFirst: number;

// A small wheel for everything but progress: a mutant's covering tests rerun for each mutant,
// and a 3 MiB wheel downloaded, hashed and unpacked in every test made this file the slowest
// of the mutation set. Progress every MiB has its own test below with a large payload.
beforeAll(async () => {
  const wheels = tempDir('envbuild-fetch-wheels-');
  wheelBytes = fs.readFileSync(await buildWheel(wheels, { name: 'remote', version: '1.0', modules: { 'remote.py': 'DATA = 1\n' } }));
  sha256 = createHash('sha256').update(wheelBytes).digest('hex');
  served.set(WHEEL, wheelBytes);
  const server = await serveLoopback((req, res) => {
    const auth = req.headers.authorization ?? '';
    log.push(`${req.method} ${req.url} ${auth}`);
    if (auth !== `Basic ${Buffer.from(`user:${TOKEN}`).toString('base64')}`) return void res.writeHead(401).end();
    if (failFirst > 0) {
      failFirst--;
      return void res.writeHead(503).end();
    }
    const body = served.get(req.url?.replace(/^\/files\//, '') ?? '');
    if (!req.url?.startsWith('/files/') || body === undefined) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-length': String(body.length) }).end(body);
  });
  base = server.base;
  return server.close;
});
beforeEach(() => {
  tmp = tempDir('envbuild-fetch-');
  target = installTarget(tmp);
  log = [];
  failFirst = 0;
});

const url = (file = WHEEL) => `http://user:\${env:WHEEL_TOKEN}@${base.slice('http://'.length)}/files/${file}`;
const options = (extra: object = {}) => ({ cacheDir: path.join(tmp, 'cache'), env: { WHEEL_TOKEN: TOKEN }, retryDelayMs: 1, ...extra });

describe('fetching wheels over http', () => {
  it('downloads with credentials from the environment, retries a 503, reports progress, and caches', async () => {
    failFirst = 2;
    const events: InstallProgress[] = [];
    const { installed } = await installWheels(target, [{ url: url(), sha256, directUrl: true }], options({ onProgress: (e: InstallProgress) => events.push(e) }));
    expect(installed.map((d) => d.name)).toEqual(['remote']);
    expect(log).toHaveLength(3);
    // A small wheel: one progress event, at the end, with the size the server announced.
    expect(events.filter((e) => e.kind === 'download')).toEqual([{ kind: 'download', wheel: WHEEL, bytes: wheelBytes.length, totalBytes: wheelBytes.length }]);
    // The recorded URL keeps the reference, never the token.
    const direct = fs.readFileSync(path.join(target.purelib, 'remote-1.0.dist-info/direct_url.json'), 'utf8');
    expect(direct).not.toContain(TOKEN);
    expect(JSON.parse(direct).url).toBe(url());
    expect(fs.readdirSync(path.join(tmp, 'cache', 'downloads'))).toEqual([]);

    // A second environment: served from the cache, no request.
    const other = targetFor(path.join(tmp, 'env2'), fakePythonInfo());
    fs.mkdirSync(other.prefix);
    await installWheels(other, [{ url: url(), sha256 }], options());
    expect(log).toHaveLength(3);
  });

  it('reports the progress of a large download at most once per MiB, then its size at the end', async () => {
    // 1.25 MiB: one report on the way (whatever the chunk sizes), never one per chunk after the
    // first MiB. download() checks the bytes against the pin only (unpacking is tested on the
    // small wheel), so they need not be zipped, which would cost more than the download.
    const large = randomBytes(5 << 18);
    served.set(LARGE, large);
    const events: InstallProgress[] = [];
    const cacheDir = path.join(tmp, 'cache');
    const file = await download(url(LARGE), createHash('sha256').update(large).digest('hex'), LARGE, { cacheDir, env: { WHEEL_TOKEN: TOKEN }, retries: 0, retryDelayMs: 1, onProgress: (e) => events.push(e), signal: undefined });
    expect(fs.readFileSync(file).equals(large)).toBe(true);
    expect(events.length).toBeGreaterThan(1);
    expect(events.at(-1)).toEqual({ kind: 'download', wheel: LARGE, bytes: large.length, totalBytes: large.length });
    let previous = 0;
    for (const e of events.slice(0, -1)) {
      expect(e).toEqual({ kind: 'download', wheel: LARGE, bytes: expect.any(Number), totalBytes: large.length });
      expect((e as { bytes: number }).bytes - previous).toBeGreaterThanOrEqual(1 << 20);
      previous = (e as { bytes: number }).bytes;
    }
  });

  it('refuses a download whose sha256 differs, keeping nothing', async () => {
    const e = await rejection(installWheels(target, [{ url: url(), sha256: 'f'.repeat(64) }], options()));
    expect(e.code).toBe('EHASH');
    expect(e.message).toMatch(/does not match the pinned f{64}/);
    expect(e.message).not.toContain(TOKEN);
    expect(fs.readdirSync(target.prefix)).toEqual([]);
    expect(fs.readdirSync(path.join(tmp, 'cache', 'downloads'))).toEqual([]);
  });

  it('gives up on a 404 at once and on repeated 503s after the retries, never showing the token', async () => {
    const missing = await rejection(installWheels(target, [{ url: url('gone-1.0-py3-none-any.whl'), sha256 }], options()));
    expect(missing.message).toBe(`cannot download ${url('gone-1.0-py3-none-any.whl')}: HTTP 404 Not Found (after 1 attempt)`);
    expect(log).toHaveLength(1);
    // Exactly the three attempts: the literal-credentials request below then meets a 404 at
    // once instead of retrying 503s.
    failFirst = 3;
    const busy = await rejection(installWheels(target, [{ url: url(), sha256 }], options({ retries: 2 })));
    expect(busy.message).toMatch(/HTTP 503 Service Unavailable \(after 3 attempts\)$/);
    expect(log).toHaveLength(4);
    expect(failFirst).toBe(0);
    const literal = await rejection(installWheels(target, [{ url: `http://user:${TOKEN}@${base.slice(7)}/files/gone-1.0-py3-none-any.whl`, sha256 }], options()));
    expect(literal.message).not.toContain(TOKEN);
    expect(literal.message).toContain('user:***@');
    expect(literal.message).toMatch(/HTTP 404 Not Found \(after 1 attempt\)$/);
  });

  it('names a missing credential variable without guessing its value', async () => {
    const e = await rejection(installWheels(target, [{ url: url(), sha256 }], options({ env: {} })));
    expect(e.message).toMatch(/needs the environment variable WHEEL_TOKEN, which is not set/);
    expect(log).toEqual([]);
  });

  it('requires a sha256 for network wheels', async () => {
    const e = await rejection(installWheels(target, [{ url: url() }], options()));
    expect(e.message).toMatch(/a wheel fetched over the network needs a sha256/);
  });
});
