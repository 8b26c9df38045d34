/**
 * Hand-built global site directories for isolation tests: distributions as pip (dist-info with
 * RECORD), setuptools (egg-info with requires.txt) and Debian (egg-info without any file list)
 * leave them, written into a temp directory that a test passes as a search path.
 */
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from './temp-dir.js';

export interface DistInfoSpec {
  readonly name: string;
  readonly version: string;
  /** Requires-Dist lines. */
  readonly requires?: readonly string[];
  readonly requiresPython?: string;
  /** Files relative to the site directory, with their content. */
  readonly files: Readonly<Record<string, string>>;
  /** top_level.txt; `null` writes none (the names then come from RECORD). Default: none. */
  readonly topLevel?: readonly string[] | null;
  /** RECORD rows beyond the files: entries missing on disk, `../../bin/x`, caches. */
  readonly extraRecord?: readonly string[];
}

export interface EggInfoSpec {
  readonly name: string;
  readonly version: string;
  /** The text of requires.txt. */
  readonly requiresTxt?: string;
  readonly files: Readonly<Record<string, string>>;
  readonly topLevel?: readonly string[];
  readonly namespacePackages?: readonly string[];
  /** Write pip's installed-files.txt; default false, as Debian's egg-info has none. */
  readonly installedFiles?: boolean;
  /** `file`: an old distutils PKG-INFO file named `X.egg-info`. */
  readonly form?: 'dir' | 'file';
}

export class FakeSite {
  readonly dir: string;

  constructor(dir: string = tempDir('envbuild-site-')) {
    this.dir = dir;
    fs.mkdirSync(dir, { recursive: true });
  }

  file(rel: string, content = ''): string {
    const p = path.join(this.dir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content);
    return p;
  }

  #escape(name: string): string {
    return name.replace(/[^A-Za-z0-9.]+/g, '_');
  }

  distInfo(spec: DistInfoSpec): string {
    const entry = `${this.#escape(spec.name)}-${spec.version}.dist-info`;
    const meta = [
      'Metadata-Version: 2.1',
      `Name: ${spec.name}`,
      `Version: ${spec.version}`,
      ...(spec.requiresPython ? [`Requires-Python: ${spec.requiresPython}`] : []),
      ...(spec.requires ?? []).map((r) => `Requires-Dist: ${r}`),
      '',
      'A long description that discovery must never need.',
      'Name: not-a-header',
      '',
    ].join('\n');
    this.file(`${entry}/METADATA`, meta);
    this.file(`${entry}/WHEEL`, 'Wheel-Version: 1.0\n');
    const record = [`${entry}/METADATA,,`, `${entry}/WHEEL,,`, `${entry}/RECORD,,`];
    if (spec.topLevel) {
      this.file(`${entry}/top_level.txt`, `${spec.topLevel.join('\n')}\n`);
      record.push(`${entry}/top_level.txt,,`);
    }
    for (const [rel, content] of Object.entries(spec.files)) {
      this.file(rel, content);
      record.push(`${rel.includes(',') ? `"${rel}"` : rel},sha256=x,${content.length}`);
    }
    record.push(...(spec.extraRecord ?? []));
    this.file(`${entry}/RECORD`, `${record.join('\n')}\n`);
    return entry;
  }

  eggInfo(spec: EggInfoSpec): string {
    const entry = `${this.#escape(spec.name)}-${spec.version}.egg-info`;
    const pkgInfo = `Metadata-Version: 2.1\nName: ${spec.name}\nVersion: ${spec.version}\n\nDescription.\n`;
    for (const [rel, content] of Object.entries(spec.files)) this.file(rel, content);
    if (spec.form === 'file') {
      this.file(entry, pkgInfo);
      return entry;
    }
    this.file(`${entry}/PKG-INFO`, pkgInfo);
    this.file(`${entry}/dependency_links.txt`, '\n');
    if (spec.topLevel) this.file(`${entry}/top_level.txt`, `${spec.topLevel.join('\n')}\n`);
    if (spec.namespacePackages) this.file(`${entry}/namespace_packages.txt`, `${spec.namespacePackages.join('\n')}\n`);
    if (spec.requiresTxt !== undefined) this.file(`${entry}/requires.txt`, spec.requiresTxt);
    if (spec.installedFiles) {
      const lines = [...Object.keys(spec.files).map((f) => `../${f}`), 'PKG-INFO', 'top_level.txt', './'];
      this.file(`${entry}/installed-files.txt`, `${lines.join('\n')}\n`);
    }
    return entry;
  }
}
