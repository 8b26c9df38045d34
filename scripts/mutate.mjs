#!/usr/bin/env node
// `npm run mutate [-- stryker options]`: runs StrykerJS (stryker.config.mjs), then prints the
// mutation score of each core folder from its JSON report.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const report = 'reports/mutation/mutation.json';
fs.rmSync(report, { force: true });
const started = Date.now();
const run = spawnSync('npx', ['stryker', 'run', ...process.argv.slice(2)], { stdio: 'inherit' });
const minutes = ((Date.now() - started) / 60_000).toFixed(1);
if (!fs.existsSync(report)) process.exit(run.status ?? 1);

// The isolation core is two pieces of one folder: the overlay file, and the allowlist
// resolution (resolve-allowlist.ts plus its resolve-allowlist/ steps).
function folderOf(rel) {
  const isolation = /^src\/isolation\/(resolve-allowlist|overlay)(?:\.ts$|\/)/.exec(rel);
  return isolation ? `src/isolation ${isolation[1]}` : path.dirname(rel);
}

const { files } = JSON.parse(fs.readFileSync(report, 'utf8'));
const folders = new Map();
for (const [file, { mutants }] of Object.entries(files)) {
  const rel = path.relative(process.cwd(), path.resolve(file));
  const folder = folderOf(rel);
  const f = folders.get(folder) ?? { killed: 0, survived: 0, noCoverage: 0, timeout: 0, other: 0 };
  for (const m of mutants) {
    if (m.status === 'Killed') f.killed++;
    else if (m.status === 'Timeout') f.timeout++;
    else if (m.status === 'Survived') f.survived++;
    else if (m.status === 'NoCoverage') f.noCoverage++;
    else f.other++;
  }
  folders.set(folder, f);
}
console.log(`\nmutation score per folder (killed + timeout) / (killed + timeout + survived + no coverage), after ${minutes} min:`);
for (const [folder, f] of [...folders].sort()) {
  const valid = f.killed + f.timeout + f.survived + f.noCoverage;
  const score = valid === 0 ? 100 : ((f.killed + f.timeout) / valid) * 100;
  console.log(`  ${folder.padEnd(38)} ${score.toFixed(1).padStart(5)} %  (${f.killed} killed, ${f.timeout} timeout, ${f.survived} survived, ${f.noCoverage} no coverage)`);
}
const all = [...folders.values()].reduce((a, f) => ({ detected: a.detected + f.killed + f.timeout, valid: a.valid + f.killed + f.timeout + f.survived + f.noCoverage }), { detected: 0, valid: 0 });
if (folders.size > 1) console.log(`  ${'all'.padEnd(38)} ${((all.detected / Math.max(all.valid, 1)) * 100).toFixed(1).padStart(5)} %  (${all.valid} mutants tested)`);
process.exit(run.status ?? 0);
