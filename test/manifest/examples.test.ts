import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { loadManifest } from '../../src/manifest/index.js';

const examples = fileURLToPath(new URL('../../examples/', import.meta.url));
const manifests = fs
  .readdirSync(examples)
  .map((name) => path.join(examples, name, 'env.yaml'))
  .filter((file) => fs.existsSync(file));

test.each(manifests)('example %s is a valid manifest', async (file) => {
  const manifest = await loadManifest(file);
  expect(manifest.environments.length).toBeGreaterThan(0);
  for (const env of manifest.environments) expect(env.path.startsWith(path.dirname(file))).toBe(true);
});
