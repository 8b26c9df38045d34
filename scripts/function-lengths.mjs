#!/usr/bin/env node
// Lists functions in src/ and recipes/ longer than a threshold (default 120 lines), longest first.
// Usage: node scripts/function-lengths.mjs [minLines] [dir...]
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const min = Number(process.argv[2] ?? 120);
const dirs = process.argv.length > 3 ? process.argv.slice(3) : ['src', 'recipes'];

function* files(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* files(p);
    else if (/\.ts$/.test(e.name) && !/\.d\.ts$|\.generated\.ts$/.test(e.name)) yield p;
  }
}

function nameOf(node) {
  if (node.name && ts.isIdentifier(node.name)) return node.name.text;
  const p = node.parent;
  if (p && ts.isVariableDeclaration(p) && ts.isIdentifier(p.name)) return p.name.text;
  if (p && ts.isPropertyAssignment(p) && ts.isIdentifier(p.name)) return p.name.text;
  return '(anonymous)';
}

const rows = [];
for (const dir of dirs) {
  for (const file of files(dir)) {
    const sf = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node) => {
      if (ts.isFunctionLike(node) && 'body' in node && node.body) {
        const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
        const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
        const lines = end - start + 1;
        if (lines > min) rows.push({ lines, where: `${file}:${start + 1}`, name: nameOf(node) });
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
}
rows.sort((a, b) => b.lines - a.lines);
for (const r of rows) console.log(`${String(r.lines).padStart(5)}  ${r.name}  ${r.where}`);
if (rows.length === 0) console.log(`no function over ${min} lines`);
