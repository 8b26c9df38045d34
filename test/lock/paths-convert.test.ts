/**
 * The boundary between a lock file (portable paths, `${env:…}` credentials) and the packages
 * recipes install (absolute paths, usable URLs): what a lock written on one checkout says, and
 * what a reader on another gets back.
 */
import { describe, expect, it } from 'vitest';
import { toLockedPackage, toLockPackage, writtenUrls } from '../../src/lock/convert.js';
import type { LockedPackage, LockSource } from '../../src/lock/model.js';
import { absolutePath, portablePath, portableUrl, resolveUrl } from '../../src/lock/paths.js';

const H = 'c'.repeat(64);
const locked = (source: LockSource): LockedPackage => ({ name: 'demo', version: '1.0', dependencies: ['idna'], source, requested: true });

describe('lock paths', () => {
  it('are relative to the manifest directory, POSIX, "." for the directory itself', () => {
    expect(portablePath('/home/u/proj', '/home/u/proj')).toBe('.');
    expect(portablePath('/home/u/proj/a/b/c.whl', '/home/u/proj')).toBe('a/b/c.whl');
    expect(portablePath('/home/u/other/c.whl', '/home/u/proj')).toBe('../other/c.whl');
  });

  it('stay absolute for system directories only, which are the same on every machine', () => {
    for (const p of ['/usr/lib/python3/dist-packages', '/opt/wheels/a.whl', '/lib/x', '/lib64/x', '/etc/x', '/var/lib/x']) expect(portablePath(p, '/home/u/proj'), p).toBe(p);
    // Look-alikes are project paths (relative), not system ones.
    expect(portablePath('/usrx/a', '/usrx')).toBe('a');
    expect(portablePath('/var/tmp/a', '/var/tmp')).toBe('a');
    expect(portablePath('/home/usr/a', '/home/usr')).toBe('a');
    expect(portablePath('/usr', '/')).toBe('usr');
  });

  it('are made absolute again against the manifest directory, absolute ones kept', () => {
    expect(absolutePath('wh/a.whl', '/home/u/proj')).toBe('/home/u/proj/wh/a.whl');
    expect(absolutePath('../x/a.whl', '/home/u/proj')).toBe('/home/u/x/a.whl');
    expect(absolutePath('/usr/share/a.whl', '/home/u/proj')).toBe('/usr/share/a.whl');
  });
});

describe('lock URLs', () => {
  it('carry the credential references the manifest wrote for the same host, never the values', () => {
    const written = ['https://mirror.example/simple', 'https://plain@pkgs.example/x', 'https://${env:U}:${env:T}@pkgs.example/simple'];
    expect(portableUrl('https://bob:s3cret@pkgs.example/f/a.whl?x=1#sha256=1', written)).toBe('https://${env:U}:${env:T}@pkgs.example/f/a.whl?x=1#sha256=1');
    // a userinfo without ${env:…} (a literal) is never copied into the lock
    expect(portableUrl('https://bob:s3cret@pkgs.example/f/a.whl', ['https://plain@pkgs.example/x'])).toBe('https://pkgs.example/f/a.whl');
    // a reference for another host does not apply
    expect(portableUrl('https://tok@mirror.example/a.whl', written)).toBe('https://mirror.example/a.whl');
    expect(portableUrl('HTTPS://tok@Host.example:8443/a.whl', [])).toBe('HTTPS://Host.example:8443/a.whl');
  });

  it('leave what is not a URL alone', () => {
    expect(portableUrl('wheels/a.whl', ['https://${env:T}@x/'])).toBe('wheels/a.whl');
    expect(portableUrl('1http://u@h/a', [])).toBe('1http://u@h/a');
  });

  it('get their ${env:…} references resolved from the environment; unknown ones stay visible', () => {
    expect(resolveUrl('https://${env:U}:${env:T_2}@h/a.whl', { U: 'bob', T_2: 's3' })).toBe('https://bob:s3@h/a.whl');
    expect(resolveUrl('https://${env:U}@h/${env:U}', { U: 'x' })).toBe('https://x@h/x');
    expect(resolveUrl('https://${env:MISSING}@h/a', {})).toBe('https://${env:MISSING}@h/a');
    expect(resolveUrl('https://${env:9X}@h/a', { '9X': 'no' })).toBe('https://${env:9X}@h/a');
    expect(resolveUrl('https://${env:}@h/a', { '': 'no' })).toBe('https://${env:}@h/a');
  });
});

describe('locked packages ↔ lock file packages', () => {
  const dir = '/home/u/proj';
  const written = ['https://${env:U}:${env:T}@pkgs.example/simple'];

  it('write each source kind with portable paths and URLs, parts added', () => {
    expect(toLockPackage(locked({ kind: 'wheel', name: 'demo-1.0-py3-none-any.whl', path: `${dir}/wh/demo.whl`, sha256: H }), ['b', 'a'], dir, written)).toEqual({
      name: 'demo',
      version: '1.0',
      dependencies: ['idna'],
      requested: true,
      parts: ['b', 'a'],
      source: { kind: 'wheel', name: 'demo-1.0-py3-none-any.whl', path: 'wh/demo.whl', sha256: H },
    });
    expect(toLockPackage(locked({ kind: 'sdist', name: 'demo-1.0.tar.gz', url: 'https://bob:pw@pkgs.example/demo-1.0.tar.gz', sha256: H }), [], dir, written).source).toEqual({
      kind: 'sdist',
      name: 'demo-1.0.tar.gz',
      url: 'https://${env:U}:${env:T}@pkgs.example/demo-1.0.tar.gz',
      sha256: H,
    });
    const archive = toLockPackage(locked({ kind: 'archive', url: 'https://bob:pw@other.example/a.zip', sha256: H }), [], dir, written).source;
    expect(archive).toEqual({ kind: 'archive', url: 'https://other.example/a.zip', sha256: H });
    expect(Object.keys(archive)).not.toContain('path');
    expect(toLockPackage(locked({ kind: 'directory', path: `${dir}/lib`, editable: true }), [], dir, written).source).toEqual({ kind: 'directory', path: 'lib', editable: true });
    expect(toLockPackage(locked({ kind: 'pinned' }), ['p'], dir, written).source).toEqual({ kind: 'pinned' });
  });

  it('read back with absolute paths and resolved credentials, parts dropped', () => {
    const env = { U: 'bob', T: 'pw' };
    const wheel = toLockedPackage({ ...locked({ kind: 'wheel', name: 'd.whl', path: 'wh/d.whl', sha256: H }), parts: ['a'] }, dir, env);
    expect(wheel).toEqual({ name: 'demo', version: '1.0', dependencies: ['idna'], requested: true, source: { kind: 'wheel', name: 'd.whl', path: `${dir}/wh/d.whl`, sha256: H } });
    expect(Object.keys(wheel)).not.toContain('parts');
    const sdist = toLockedPackage({ ...locked({ kind: 'sdist', name: 'd.tar.gz', url: 'https://${env:U}:${env:T}@pkgs.example/d.tar.gz', sha256: H }), parts: [] }, dir, env);
    expect(sdist.source).toEqual({ kind: 'sdist', name: 'd.tar.gz', url: 'https://bob:pw@pkgs.example/d.tar.gz', sha256: H });
    expect(Object.keys(sdist.source)).not.toContain('path');
    expect(toLockedPackage({ ...locked({ kind: 'directory', path: '../lib', editable: false }), parts: [] }, dir, env).source).toEqual({ kind: 'directory', path: '/home/u/lib', editable: false });
  });

  it('find every URL written anywhere in a part\'s options', () => {
    expect(writtenUrls({ index: 'https://a/simple', extra: ['https://b/', 'plain', 3, null, true, { deep: { url: 'file:///x' } }], n: 1 })).toEqual(['https://a/simple', 'https://b/', 'file:///x']);
    expect(writtenUrls('no url here')).toEqual([]);
    expect(writtenUrls(null)).toEqual([]);
    expect(writtenUrls(undefined)).toEqual([]);
  });
});
