/**
 * Drives vitest with the reused-threads pool over a project (argv[2]), as Stryker does: one
 * vitest instance, runs one after another, each with its own test name filter. Each step is
 * [parking, test name pattern]; prints which tests each run passed, as JSON.
 */
import { createVitest } from 'vitest/node';
import { reusedThreadsPool, setParking } from './reused-threads.mjs';

const [root, stepsJson] = process.argv.slice(2);
const ctx = await createVitest('test', {
  root,
  include: ['test/*.test.mjs'],
  pool: reusedThreadsPool,
  isolate: false,
  maxWorkers: 1,
  watch: false,
  reporters: [],
});
const runs = [];
for (const [parking, pattern] of JSON.parse(stepsJson)) {
  setParking(parking);
  // Stryker's way of starting each run with empty results.
  ctx.state.filesMap.clear();
  for (const project of ctx.projects) project.config.testNamePattern = pattern === null ? undefined : new RegExp(pattern);
  await ctx.start();
  runs.push(ctx.state.getFiles().flatMap((file) => file.tasks.filter((t) => t.result?.state === 'pass').map((t) => t.name)));
}
setParking(false);
await ctx.close();
process.stdout.write(`${JSON.stringify(runs)}\n`);
