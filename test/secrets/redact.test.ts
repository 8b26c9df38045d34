/**
 * The redactor, form by form: URL userinfo (a password holding `@`, a token alone, percent-
 * encoded), tokens in query strings, free text, JSON values and JSON text, values remembered
 * from options and from `${env:...}`, and the lock holder file that records the command line.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { digestSecrets, keysWithSecrets, redactText, redactValue, rememberEnvValue, rememberSecrets } from '../../src/secrets/redact.js';
import { acquireLock } from '../../src/state/lock.js';
import { tempDir } from '../helpers/temp-dir.js';

const userinfo: Array<[string, string]> = [
  ['https://alice:S3cret@pypi.example.com/simple', 'https://alice:***@pypi.example.com/simple'],
  ['https://alice:p@ss@w0rd@pypi.example.com/simple', 'https://alice:***@pypi.example.com/simple'],
  ['https://alice:p%40ss%3Aw0rd@pypi.example.com/simple', 'https://alice:***@pypi.example.com/simple'],
  ['https://alice:p:ss@host', 'https://alice:***@host'],
  ['https://ghp_T0kenOnly123@github.com/org/repo.git', 'https://***@github.com/org/repo.git'],
  ['http://T0kenOnly@host:8080/x', 'http://***@host:8080/x'],
  ['git+https://T0kenOnly@github.com/org/repo.git@v1', 'git+https://***@github.com/org/repo.git@v1'],
  ['ftp://user:pw@files.example.com/', 'ftp://user:***@files.example.com/'],
  ['HTTPS://Bob:Pa55@Host/', 'HTTPS://Bob:***@Host/'],
];
const notSecret: string[] = [
  'ssh://git@github.com/org/repo.git',
  'https://pypi.org/simple/?page=2&ref=main',
  'https://host/path/user@example.com',
  'mail me at someone@example.com',
  'https://alice:${env:IDX_TOKEN}@pypi.example.com/simple',
  'https://${env:GH_TOKEN}@github.com/org/repo.git',
  'https://host/simple?token=${env:TOKEN}',
  'https://user:***@host/ already redacted',
];
const query: Array<[string, string]> = [
  ['https://gitlab.example.com/api/v4/projects?private_token=glpat-abc123', 'https://gitlab.example.com/api/v4/projects?private_token=***'],
  ['https://h/x?token=abc&page=2', 'https://h/x?token=***&page=2'],
  ['https://h/x?page=2&access_token=abc#frag', 'https://h/x?page=2&access_token=***#frag'],
  ['https://h/x?user=bob&password=hunter2', 'https://h/x?user=bob&password=***'],
  ['https://h/x?api_key=K1&apikey=K2&api-key=K3', 'https://h/x?api_key=***&apikey=***&api-key=***'],
  ['https://h/x?client_secret=s&refresh_token=r', 'https://h/x?client_secret=***&refresh_token=***'],
  ['https://bucket.s3.amazonaws.com/k?X-Amz-Credential=AKIA&X-Amz-Signature=abcdef&X-Amz-Security-Token=t', 'https://bucket.s3.amazonaws.com/k?X-Amz-Credential=***&X-Amz-Signature=***&X-Amz-Security-Token=***'],
  ['https://h/x?private%5Ftoken=abc%2Bdef', 'https://h/x?private%5Ftoken=***'],
  ['<a href="https://h/x?a=1&amp;token=abc">', '<a href="https://h/x?a=1&amp;token=***">'],
  ['https://u:p@h/x?token=abc', 'https://u:***@h/x?token=***'],
];

describe('redactText', () => {
  it.for(userinfo)('hides the credential of %s', ([url, expected]) => {
    expect(redactText(url)).toBe(expected);
    expect(redactText(`Looking in indexes: ${url}, and more`)).toBe(`Looking in indexes: ${expected}, and more`);
  });
  it.for(query)('hides query tokens in %s', ([url, expected]) => {
    expect(redactText(url)).toBe(expected);
  });
  it('leaves a lone user alone for a scheme that only ends in http, and an empty query token', () => {
    // S-HTTP's lone user is a login name like ssh's, not a token; `token=` carries nothing.
    expect(redactText('shttp://login@host/doc')).toBe('shttp://login@host/doc');
    expect(redactText('https://h/x?token=&page=2')).toBe('https://h/x?token=&page=2');
  });
  it.for(notSecret)('leaves %s as it is', (text) => {
    expect(redactText(text)).toBe(text);
  });
  it('hides every URL of a multi-line text, in quotes too', () => {
    const text = `pip install -i "https://a:one1@h1/simple" --extra-index-url 'https://two2@h2/simple'\nERROR: 401 for https://h3/simple?token=three3\n`;
    const out = redactText(text);
    for (const s of ['one1', 'two2', 'three3']) expect(out).not.toContain(s);
    expect(out).toBe(`pip install -i "https://a:***@h1/simple" --extra-index-url 'https://***@h2/simple'\nERROR: 401 for https://h3/simple?token=***\n`);
  });
});

describe('remembered secrets', () => {
  it('hides a password seen in options wherever it appears alone, decoded or encoded', () => {
    rememberSecrets({ index: 'https://carol:Tr1cky%40Pass@h/simple', extra: ['https://h/x?token=Qu3ryT0ken'] });
    expect(redactText('the password is Tr1cky@Pass')).toBe('the password is ***');
    expect(redactText('encoded: Tr1cky%40Pass')).toBe('encoded: ***');
    expect(redactText('query token Qu3ryT0ken printed')).toBe('query token *** printed');
  });
  it('hides values taken from the environment, but not paths like $HOME', () => {
    rememberEnvValue('DEPLOY_KEY', 'dk-very-secret-42');
    rememberEnvValue('HOME', '/home/someone');
    expect(redactText('using dk-very-secret-42 for /home/someone')).toBe('using *** for /home/someone');
  });
  it('does not hide short values that could occur by chance', () => {
    rememberEnvValue('PIN', '1234');
    expect(redactText('line 1234')).toBe('line 1234');
  });
  it('hides an environment value of exactly the minimum length', () => {
    rememberEnvValue('SHORT_TOKEN', 'Zq9x7w');
    expect(redactText('token Zq9x7w used')).toBe('token *** used');
  });
  it('does not hide XDG_* and LC_* values, which appear in ordinary paths and messages', () => {
    rememberEnvValue('XDG_CACHE_HOME', '/home/someone/.cache-xdg');
    rememberEnvValue('LC_ALL', 'en_GB.UTF-8');
    expect(redactText('cache in /home/someone/.cache-xdg, locale en_GB.UTF-8')).toBe('cache in /home/someone/.cache-xdg, locale en_GB.UTF-8');
  });
  it('hides a secret that contains another one whole, whichever was seen first', () => {
    rememberEnvValue('PART_TOKEN', 'Nest3d-secret');
    rememberEnvValue('FULL_TOKEN', 'Nest3d-secret-and-more');
    rememberEnvValue('LONGEST_TOKEN', 'Nest3d-secret-and-more-still');
    expect(redactText('a Nest3d-secret-and-more b')).toBe('a *** b');
    expect(redactText('c Nest3d-secret-and-more-still d')).toBe('c *** d');
  });
});

describe('redactValue and JSON', () => {
  it('redacts every string of a JSON value, deeply, leaving the input as it was', () => {
    const value = { a: ['https://u:pw1@h/', { b: 'https://h/?token=tk2' }], n: 3, t: true, z: null };
    const copy = structuredClone(value);
    expect(redactValue(value)).toEqual({ a: ['https://u:***@h/', { b: 'https://h/?token=***' }], n: 3, t: true, z: null });
    expect(value).toEqual(copy);
  });
  it('redacts JSON text', () => {
    const text = JSON.stringify({ url: 'https://u:p@ss@h/simple', q: 'https://h/?access_token=abc' });
    expect(redactText(text)).toBe('{"url":"https://u:***@h/simple","q":"https://h/?access_token=***"}');
  });
  it('digests secrets for fingerprints: a changed token changes the digest, which holds no token', () => {
    const one = digestSecrets({ i: 'https://u:t0ken-one@h/', q: 'https://h/?token=qq-one' });
    const two = digestSecrets({ i: 'https://u:t0ken-two@h/', q: 'https://h/?token=qq-one' });
    expect(JSON.stringify(one)).not.toMatch(/t0ken-one|qq-one/);
    expect(one).not.toEqual(two);
    expect(keysWithSecrets({ i: 'https://u:x@h/', q: 'https://h/?token=y', plain: 'https://h/' })).toEqual(['i', 'q']);
  });
});

describe('the lock holder file', () => {
  it('records the command line redacted', async () => {
    const dir = tempDir('envbuild-redact-');
    const release = await acquireLock(dir, { command: 'envbuild apply --index https://u:L0ckP@ss@h/simple?token=L0ckT0k' });
    try {
      const holderFile = fs.readdirSync(path.join(dir, '.envbuild')).find((n) => n.includes('holder'));
      const holder = fs.readFileSync(path.join(dir, '.envbuild', holderFile!), 'utf8');
      expect(holder).not.toMatch(/L0ckP|ss@h|L0ckT0k/);
      expect(JSON.parse(holder).command).toBe('envbuild apply --index https://u:***@h/simple?token=***');
    } finally {
      await release();
    }
  });
});
