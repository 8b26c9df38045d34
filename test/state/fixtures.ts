/** A recorded environment as the state tests build them: one file entry, one `file` part. */
import path from 'node:path';
import type { EnvironmentState } from '../../src/state/types.js';

export const ID = '0123456789abcdef0123456789abcdef';

export function recordedEnvironment(root: string, over: Partial<EnvironmentState> = {}): EnvironmentState {
  return {
    path: root,
    id: ID,
    inputs: { python: { executable: '/usr/bin/python3.11', version: '3.11.2' }, layout: 'venv', isolation: 'full', prompt: 'a' },
    entries: [{ path: 'pyvenv.cfg', digest: { kind: 'file', sha256: 'ab', mode: 0o644 } }],
    parts: {
      note: {
        recipe: 'file',
        version: '1',
        fingerprint: 'f',
        options: { path: 'etc/note' },
        outputs: {},
        created: [{ path: path.join(root, 'etc', 'note'), kind: 'file', sha256: 'cd', mode: 0o644 }],
      },
    },
    ...over,
  } as EnvironmentState;
}
