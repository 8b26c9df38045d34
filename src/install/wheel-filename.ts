import { UserError } from '../errors/user-error.js';

/** A wheel file name, PEP 427: `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`. */
export interface WheelFilename {
  readonly filename: string;
  /** As the file spells it (`typing_extensions`). */
  readonly name: string;
  readonly version: string;
  readonly build: string | null;
  /** Every tag the file name stands for: `py2.py3-none-any` → `py2-none-any`, `py3-none-any`. */
  readonly tags: readonly string[];
}

// Each component is free of `-` (names and versions are escaped with `_` by wheel builders).
const WHEEL_NAME = /^([^-\s/\\]+)-([^-\s/\\]+)(?:-(\d[^-\s/\\]*))?-([^-\s/\\]+)-([^-\s/\\]+)-([^-\s/\\]+)\.whl$/i;

/** Parses a wheel's file name (no directory); a UserError if it is not one. */
export function parseWheelFilename(filename: string): WheelFilename {
  const m = WHEEL_NAME.exec(filename);
  if (m === null) {
    throw new UserError('EWHEELNAME', `"${filename}" is not a wheel file name`, {
      hint: 'a wheel is named {name}-{version}[-{build}]-{python tag}-{abi tag}-{platform tag}.whl (PEP 427)',
    });
  }
  const [, name = '', version = '', build, py = '', abi = '', plat = ''] = m;
  const tags: string[] = [];
  for (const p of py.split('.')) for (const a of abi.split('.')) for (const pl of plat.split('.')) tags.push(`${p}-${a}-${pl}`);
  return { filename, name, version, build: build ?? null, tags };
}

/** PEP 503 normalised name: lower case, runs of `-_.` as one `-`. */
export function canonicalName(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}

/** The name as `.dist-info` directories and wheel file names spell it (runs of `-_.` → `_`). */
export function distInfoName(name: string): string {
  return name.replace(/[-_.]+/g, '_');
}
