import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { installWheels, targetFor } from '../../src/install/index.js';
import type { InstallProgress, InstallTarget } from '../../src/install/types.js';
import { fakePythonInfo } from '../helpers/fake-python.js';
import { buildWheel } from '../helpers/wheel.js';
import { tempDir } from '../helpers/temp-dir.js';
import { rejection } from '../helpers/user-error.js';

const TOKEN = 's3cr3t-token-value';
let tmp: string;
let target: InstallTarget;
let server: http.Server;
let base: string;
let wheelBytes: Buffer;
let sha256: string;
/** What the server saw: one line per request. */
let log: string[];
/** Requests to fail with 503 before serving. */
let failFirst: number;

beforeEach(async () => {
  tmp = tempDir('envbuild-fetch-');
  target = targetFor(path.join(tmp, 'env'), fakePythonInfo());
  fs.mkdirSync(target.prefix);
  const wheel = await buildWheel(path.join(tmp, 'wh'), { name: 'remote', version: '1.0', modules: { 'remote.py': 'DATA = 1\n', 'remote_blob.bin': randomBytes(3 << 20) } });
  wheelBytes = fs.readFileSync(wheel);
  sha256 = createHash('sha256').update(wheelBytes).digest('hex');
  log = [];
  failFirst = 0;
  server = http.createServer((req, res) => {
    const auth = req.headers.authorization ?? '';
    log.push(`${req.method} ${req.url} ${auth}`);
    if (auth !== `Basic ${Buffer.from(`user:${TOKEN}`).toString('base64')}`) return void res.writeHead(401).end();
    if (failFirst > 0) {
      failFirst--;
      return void res.writeHead(503).end();
    }
    if (req.url !== '/files/remote-1.0-py3-none-any.whl') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-length': String(wheelBytes.length) }).end(wheelBytes);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const url = (file = 'remote-1.0-py3-none-any.whl') => `http://user:\${env:WHEEL_TOKEN}@${base.slice('http://'.length)}/files/${file}`;
const options = (extra: object = {}) => ({ cacheDir: path.join(tmp, 'cache'), env: { WHEEL_TOKEN: TOKEN }, retryDelayMs: 10, ...extra });

describe('fetching wheels over http', () => {
  it('downloads with credentials from the environment, retries a 503, reports progress, and caches', async () => {
    failFirst = 2;
    const events: InstallProgress[] = [];
    const { installed } = await installWheels(target, [{ url: url(), sha256, directUrl: true }], options({ onProgress: (e: InstallProgress) => events.push(e) }));
    expect(installed.map((d) => d.name)).toEqual(['remote']);
    expect(log).toHaveLength(3);
    const downloads = events.filter((e) => e.kind === 'download');
    expect(downloads.length).toBeGreaterThan(1);
    expect(downloads.at(-1)).toEqual({ kind: 'download', wheel: 'remote-1.0-py3-none-any.whl', bytes: wheelBytes.length, totalBytes: wheelBytes.length });
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
    failFirst = 10;
    const busy = await rejection(installWheels(target, [{ url: url(), sha256 }], options({ retries: 2 })));
    expect(busy.message).toMatch(/HTTP 503 Service Unavailable \(after 3 attempts\)$/);
    expect(log).toHaveLength(4);
    const literal = await rejection(installWheels(target, [{ url: `http://user:${TOKEN}@${base.slice(7)}/files/gone-1.0-py3-none-any.whl`, sha256 }], options()));
    expect(literal.message).not.toContain(TOKEN);
    expect(literal.message).toContain('user:***@');
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
