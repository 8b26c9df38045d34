/**
 * Redaction of credentials: every form a URL carries one in, in text and in JSON-like values,
 * the hashes fingerprints use instead, and the bare secrets remembered from part options.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { digestSecrets, keysWithSecrets, redactText, redactValue, rememberSecrets } from '../../src/secrets/redact.js';

const sha = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;

describe('redactText', () => {
  it.each([
    ['user and password', 'https://alice:s3cr3t@pypi.example/simple', 'https://alice:***@pypi.example/simple'],
    ['a token alone (https)', 'https://ghp_T0kenOnly@pypi.example/simple', 'https://***@pypi.example/simple'],
    ['a token alone (http)', 'http://T0kenOnly@127.0.0.1:8080/simple', 'http://***@127.0.0.1:8080/simple'],
    ['an empty user with a password', 'https://:pa55word@host/', 'https://:***@host/'],
    ['a percent-encoded password', 'https://bob:p%40ss%3Aw0rd@host/simple', 'https://bob:***@host/simple'],
    ['an upper-case scheme', 'HTTPS://bob:pw123456@host/', 'HTTPS://bob:***@host/'],
    ['other schemes with a password', 'git+ssh://git:hunter22@example.com/repo.git', 'git+ssh://git:***@example.com/repo.git'],
    ['a URL in a sentence', 'Looking in indexes: https://u:tok3n@idx.example/simple, https://other.example', 'Looking in indexes: https://u:***@idx.example/simple, https://other.example'],
    ['a URL in quotes', `url="https://u:tok3n@h/"; 'https://v:tok4n@h/'`, `url="https://u:***@h/"; 'https://v:***@h/'`],
    ['several URLs', 'https://a:one1@x/ https://two2@y/', 'https://a:***@x/ https://***@y/'],
  ])('hides %s', (_form, text, shown) => {
    expect(redactText(text)).toBe(shown);
  });

  it.each([
    ['a URL without userinfo', 'https://pypi.org/simple'],
    ['an ssh user without a password', 'ssh://git@github.com/x.git'],
    ['an e-mail address', 'write to someone@example.com'],
    ['an already redacted URL', 'https://alice:***@pypi.example/simple'],
    ['an already redacted token', 'https://***@pypi.example/simple'],
    ['an empty password', 'https://alice:@host/'],
    ['an @ after the host', 'https://host/path@v1'],
    ['a lone user of a non-http scheme ending in https', 'git+https://git@github.com/x.git'],
    ['an empty userinfo', 'https://@host/'],
  ])('leaves %s alone', (_form, text) => {
    expect(redactText(text)).toBe(text);
  });

  it('hides the whole password when it holds an unencoded @', () => {
    const shown = redactText('https://alice:p@ss@host.example/simple');
    expect(shown).not.toContain('ss@host');
    expect(shown).toBe('https://alice:***@host.example/simple');
  });

  it('hides tokens in the query string', () => {
    expect(redactText('https://host.example/simple?token=Qu3ry-T0ken-1&x=1')).not.toContain('Qu3ry-T0ken-1');
    expect(redactText('https://host.example/simple?access_token=Qu3ry-T0ken-2')).toBe('https://host.example/simple?access_token=***');
    expect(redactText('https://h/?page=2&api_key=K3y-v4lue#top')).toBe('https://h/?page=2&api_key=***#top');
    expect(redactText('https://h/?page=2&sort=name')).toBe('https://h/?page=2&sort=name');
  });
});

describe('remembered secrets', () => {
  it('hides a remembered secret on its own, raw and percent-decoded, and ignores short ones', () => {
    rememberSecrets({ 'index-url': 'https://carol:Rem%40mbered-42@idx.example/simple', other: ['https://u:abc@h/'] });
    expect(redactText('token: Rem%40mbered-42')).toBe('token: ***');
    expect(redactText('decoded: Rem@mbered-42!')).toBe('decoded: ***!');
    // Too short to hide everywhere: "abc" occurs by chance in ordinary output.
    expect(redactText('abc is fine')).toBe('abc is fine');
  });

  it('hides a remembered secret of exactly the minimum length, and survives malformed percent-encoding', () => {
    rememberSecrets('https://u:Six6ch@h/ https://u:bad%zz-Secret@h/ https://h/?token=Qtok99');
    expect(redactText('Six6ch alone')).toBe('*** alone');
    expect(redactText('then bad%zz-Secret')).toBe('then ***');
    expect(redactText('query Qtok99')).toBe('query ***');
  });
});

describe('redactValue', () => {
  it('redacts every string of a JSON-like value, deeply, and leaves the rest and the input alone', () => {
    const input = { url: 'https://a:pw-1234@h/', list: ['https://T0k3n@h/', 3, null, true], nested: { deeper: { u: 'x https://b:pw@h/ y' } }, n: 7 };
    const copy = JSON.parse(JSON.stringify(input)) as typeof input;
    expect(redactValue(input)).toEqual({ url: 'https://a:***@h/', list: ['https://***@h/', 3, null, true], nested: { deeper: { u: 'x https://b:***@h/ y' } }, n: 7 });
    expect(input).toEqual(copy);
  });

  it('redacts the JSON text written for a lock holder or a state file', () => {
    const text = JSON.stringify({ command: 'envbuild apply --index https://u:Js0n-Secret@h/' });
    expect(redactText(text)).toBe(JSON.stringify({ command: 'envbuild apply --index https://u:***@h/' }));
  });
});

describe('digestSecrets', () => {
  it('replaces each secret by its hash, so a new token changes the value and none is kept', () => {
    expect(digestSecrets({ u: 'https://a:one-secret@h/', t: ['https://tok-one@h/'], k: 1 })).toEqual({
      u: `https://a:${sha('one-secret')}@h/`,
      t: [`https://${sha('tok-one')}@h/`],
      k: 1,
    });
    expect(digestSecrets('https://a:two-secret@h/')).not.toBe(digestSecrets('https://a:one-secret@h/'));
    expect(digestSecrets('https://pypi.org/simple')).toBe('https://pypi.org/simple');
    // Already redacted text has no secret left to hash.
    for (const done of ['https://a:***@h/', 'https://***@h/', 'https://h/?token=***']) expect(digestSecrets(done)).toBe(done);
    expect(digestSecrets('https://h/?token=abc')).toBe(`https://h/?token=${sha('abc')}`);
  });
});

describe('keysWithSecrets', () => {
  it('names the top-level options carrying a credential, sorted', () => {
    expect(keysWithSecrets({ z: ['https://t0ken@h/'], a: { deep: 'https://u:p@h/' }, plain: 'https://h/', n: 3 })).toEqual(['a', 'z']);
    expect(keysWithSecrets({})).toEqual([]);
  });
});
