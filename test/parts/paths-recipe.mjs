// The recipe of the runner tests (see fixture.ts): writes the files and directories its options
// name and reports them as created; other options make it fail, hang or report what it was
// handed. One module for all the projects of a test run: each project's ./recipes/paths.mjs
// re-exports it, so its options schema is compiled once, not once per project.
import fs from 'node:fs/promises';
import path from 'node:path';
// What a call of the recipe was given, as the recipe sees it.
const seenBy = (ctx, phase) => ({
  phase,
  part: ctx.part,
  env: ctx.env.name,
  envPath: ctx.env.path,
  manifestDir: ctx.manifestDir,
  options: ctx.options,
  previousOptions: ctx.previous?.options ?? null,
  locked: ctx.locked ?? null,
  reason: ctx.reason ?? null,
  signal: ctx.signal instanceof AbortSignal && !ctx.signal.aborted,
});
export default {
  name: 'paths',
  version: '1',
  options: {
    type: 'object',
    additionalProperties: false,
    properties: {
      dirs: { type: 'array', items: { type: 'string' } },
      files: { type: 'object', additionalProperties: { type: 'string' } },
      link: { type: 'string' },
      created: { type: 'array', items: { type: 'string' } },
      token: { type: 'string' },
      throw: { type: 'string' },
      removeCalls: { type: 'string' },
      say: {},
      pinned: { type: 'array' },
      noCreated: { type: 'boolean' },
      seen: { type: 'string' },
      removeThrow: { type: 'string' },
      hang: { type: 'boolean' },
    },
  },
  async apply(ctx) {
    const o = ctx.options;
    if (o.seen) await fs.writeFile(path.join(ctx.manifestDir, o.seen), JSON.stringify(seenBy(ctx, 'apply')));
    // Waits until stopped, as a recipe running a long command does.
    if (o.hang) await new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
    if (o.throw === 'bug') throw new TypeError('boom ' + (o.token ?? ''));
    if (o.throw === 'exec') await ctx.exec('/bin/sh', ['-c', 'echo "failing for $1" >&2; exit 4', 'sh', o.token ?? '']);
    const created = [];
    for (const d of o.dirs ?? []) {
      await fs.mkdir(path.join(ctx.env.path, d), { recursive: true });
      created.push(path.join(ctx.env.path, d));
    }
    for (const [f, text] of Object.entries(o.files ?? {})) {
      await fs.writeFile(path.join(ctx.env.path, f), text);
      created.push(path.join(ctx.env.path, f));
    }
    if (o.link) {
      await fs.rm(path.join(ctx.env.path, 'link'), { force: true });
      await fs.symlink(o.link, path.join(ctx.env.path, 'link'));
      created.push(path.join(ctx.env.path, 'link'));
    }
    ctx.log('applied with ' + (o.token ?? 'no token'));
    if (o.say !== undefined) ctx.log(o.say);
    const outputs = { count: created.length, token: o.token ?? null };
    if (o.noCreated) return { outputs };
    return { outputs, created: o.created ?? created, ...(o.pinned ? { pinned: o.pinned } : {}) };
  },
  async remove(ctx) {
    if (ctx.options.seen) await fs.writeFile(path.join(ctx.manifestDir, ctx.options.seen), JSON.stringify(seenBy(ctx, 'remove')));
    if (ctx.options.removeThrow === 'bug') throw new TypeError('remove broke ' + (ctx.options.token ?? ''));
    if (ctx.options.removeThrow === 'exec') await ctx.exec('/bin/sh', ['-c', 'exit 5']);
    // A promise nothing will ever settle: a recipe bug the runner must name.
    if (ctx.options.removeThrow === 'stall') await new Promise(() => undefined);
    ctx.log('removing (' + ctx.reason + ')');
    // Leaves its files to the next run, as a recipe undoing only what it changed elsewhere does.
    if (ctx.options.removeThrow === 'keep-files') return;
    if (ctx.options.removeCalls) await fs.appendFile(path.join(ctx.manifestDir, ctx.options.removeCalls), ctx.reason + '\n');
    await ctx.removeCreated();
  },
};
