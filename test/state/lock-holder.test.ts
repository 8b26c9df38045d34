/**
 * The lock-holder file says who holds the lock, for a refused run to show; it is written to
 * disk and printed, so the command line it records is redacted.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock } from '../../src/state/lock.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('the lock-holder file', () => {
  it('records the command line with its credentials redacted, and goes with the lock', async () => {
    const dir = tempDir('envbuild-lock-');
    const release = await acquireLock(dir, { command: 'envbuild apply --index https://alice:Holder-S3cret@idx.example/simple https://T0ken-Only-77@h/' });
    const file = path.join(dir, '.envbuild', 'lock-holder.json');
    const text = fs.readFileSync(file, 'utf8');
    expect(text).not.toContain('Holder-S3cret');
    expect(text).not.toContain('T0ken-Only-77');
    expect(JSON.parse(text)).toMatchObject({
      pid: process.pid,
      command: 'envbuild apply --index https://alice:***@idx.example/simple https://***@h/',
    });
    await release();
    expect(fs.existsSync(file)).toBe(false);
  });
});
