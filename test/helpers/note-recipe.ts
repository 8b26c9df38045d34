import fs from 'node:fs';
import path from 'node:path';

/**
 * A third-party recipe as a user would write one (a plain-object ES module beside the
 * manifest, importing nothing of envbuild). It writes `<dir>/<file>` (default
 * `share/NOTE.txt`) in its environment and outputs the file and the text's length; `sleep`
 * makes a slow step (through ctx.exec, so Ctrl-C kills it); `index-url` is echoed by a
 * command; `fail` makes a command fail (exit 3, or after echoing the index URL); `always`
 * re-applies on every run, checking that no two applies run at once.
 */
export const NOTE_RECIPE = `
import fs from 'node:fs/promises';
import path from 'node:path';
export default {
  name: 'note',
  version: '1',
  options: {
    type: 'object',
    additionalProperties: false,
    required: ['text'],
    properties: {
      text: { type: 'string' },
      file: { type: 'string' },
      dir: { type: 'string' },
      sleep: { type: 'string' },
      'index-url': { type: 'string' },
      fail: { type: 'boolean' },
      always: { type: 'boolean' },
    },
  },
  plan({ previous, changes, options }) {
    if (options.always) return { action: previous ? 'update' : 'create', reasons: ['always'] };
    if (!previous) return { action: 'create', reasons: ['new part'] };
    return changes.length > 0 ? { action: 'update', reasons: changes } : { action: 'no-op', reasons: [] };
  },
  async apply(ctx) {
    const o = ctx.options;
    if (o['index-url']) {
      ctx.log('looking in ' + o['index-url']);
      await ctx.exec('/bin/sh', ['-c', 'echo "Looking in indexes: $1"; echo "token alone: $2"; [ "$3" = fail ] && { echo "ERROR: no access to $1" >&2; exit 1; }; exit 0', 'sh', o['index-url'], o['index-url'].replace(/^.*:([^:@]*)@.*$/, '$1'), o.fail ? 'fail' : 'ok']);
    } else if (o.fail) {
      await ctx.exec('/bin/sh', ['-c', 'echo "the note machine is broken" >&2; exit 3']);
    }
    if (o.sleep) await ctx.exec('sleep', [o.sleep]);
    if (o.always) {
      // Two applies inside the lock at once would both find the probe directory.
      const probe = path.join(ctx.manifestDir, 'mutex-probe');
      await fs.mkdir(probe);
      await new Promise((r) => setTimeout(r, 50));
      await fs.rmdir(probe);
    }
    const dir = path.join(ctx.env.path, o.dir ?? 'share');
    const file = path.join(dir, o.file ?? 'NOTE.txt');
    const created = [];
    try {
      await fs.mkdir(dir);
      created.push(dir);
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      // An apply killed before it was recorded is retried: a directory holding nothing but
      // this part's file is its own from that run (recipes must tolerate their partial work).
      const mine = ctx.previous?.created.some((c) => c.path === dir);
      const left = await fs.readdir(dir);
      if (mine || left.every((n) => n === path.basename(file))) created.push(dir);
    }
    await fs.writeFile(file, o.text);
    created.push(file);
    return { outputs: { file, length: o.text.length }, created };
  },
};
`;

/** Puts the note recipe at `<project>/recipes/note.mjs`, where manifests name it `./recipes/note.mjs`. */
export function writeNoteRecipe(project: string): void {
  fs.mkdirSync(path.join(project, 'recipes'), { recursive: true });
  fs.writeFileSync(path.join(project, 'recipes', 'note.mjs'), NOTE_RECIPE);
}
