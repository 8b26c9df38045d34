/** What `envbuild init` found in a directory, the input of the manifest it writes. */
export interface InitFindings {
  /** Interpreters found on this machine, best first: version and path. */
  readonly interpreters: ReadonlyArray<{ readonly version: string; readonly executable: string; readonly implementation: string }>;
  /** `requirements.txt` exists beside the manifest. */
  readonly requirements: boolean;
  /** Existing virtual environments in the directory: relative path and the Python version its pyvenv.cfg names. */
  readonly venvs: ReadonlyArray<{ readonly path: string; readonly version: string | null }>;
}

const minor = (version: string): string => version.split('.').slice(0, 2).join('.');

/** The interpreter to name: an existing venv's version when one is found on this machine, else the newest CPython 3. */
export function choosePython(f: InitFindings): string | null {
  const py3 = f.interpreters.filter((i) => i.version.startsWith('3.') && i.implementation === 'cpython');
  const wanted = f.venvs.map((v) => v.version).find((v) => v !== null && py3.some((i) => minor(i.version) === minor(v)));
  if (wanted) return minor(wanted);
  const newest = [...py3].sort((a, b) => b.version.localeCompare(a.version, 'en', { numeric: true }))[0];
  return newest ? minor(newest.version) : null;
}

/**
 * A first manifest for a directory, commented so that it teaches the format: pure, so the
 * same findings always give the same text.
 */
export function renderInitManifest(f: InitFindings, schema: string): string {
  const python = choosePython(f);
  const lines = [
    `# yaml-language-server: $schema=${schema}`,
    '#',
    '# envbuild manifest. `envbuild plan` shows what `envbuild apply` would build; after apply,',
    '# `envbuild run app -- python` runs a command in the environment and `envbuild shell app`',
    '# opens your shell in it. Every key is described in the schema named above.',
    'envbuild: 1',
    '',
    'environments:',
    '  app:',
    '    # The base interpreter: a version range ("3.12", ">=3.10"), a command or an absolute path.',
  ];
  if (f.interpreters.length > 0) {
    lines.push('    # Found on this machine:');
    for (const i of f.interpreters) lines.push(`    #   ${i.version.padEnd(8)} ${i.executable}${i.implementation === 'cpython' ? '' : ` (${i.implementation})`}`);
  } else {
    lines.push('    # No interpreter was found on this machine: install one (`envbuild pythons` lists them).');
  }
  lines.push(`    python: "${python ?? '3'}"`);
  lines.push(
    '    # full: nothing from the system\'s site-packages; system: everything global stays',
    '    # visible; cherry-pick: only the global packages you allow (isolation.allow).',
    '    isolation: full',
    '    # Where it is built, relative to this file (default envs/<name>).',
    '    # path: envs/app',
  );
  for (const v of f.venvs) {
    lines.push(
      `    # ${v.path}/ is an existing virtual environment${v.version ? ` (Python ${v.version})` : ''}: envbuild leaves it alone.`,
      `    # To build this environment there instead, remove it and set \`path: ${v.path}\`.`,
    );
  }
  lines.push('    # pip inside the environment, from the interpreter\'s own wheel (no network).', '    pip: true');
  if (f.requirements) {
    lines.push(
      '    parts:',
      '      # requirements.txt, installed with pip and kept in sync: what it no longer lists is removed.',
      '      requirements:',
      '        recipe: packages',
      '        requirements: ["-r requirements.txt"]',
    );
  } else {
    lines.push(
      '    # What to install, in order: a part names a recipe (packages, scripts, file, command).',
      '    # parts:',
      '    #   deps:',
      '    #     recipe: packages',
      '    #     requirements: ["requests>=2"]',
    );
  }
  return `${lines.join('\n')}\n`;
}
