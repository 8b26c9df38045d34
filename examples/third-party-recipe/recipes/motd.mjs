// A third-party recipe: a plain ES module whose default export is made with defineRecipe().
// It writes a "message of the day" into the environment and prints it from `activate`-free
// Python: `envs/app/bin/python -c "import motd; print(motd.MESSAGE)"`.
import fs from 'node:fs/promises';
import path from 'node:path';
import { defineRecipe } from 'envbuild/recipe';

export default defineRecipe({
  name: 'motd',
  version: '1',
  description: 'Writes a motd.py module into site-packages',
  options: {
    type: 'object',
    additionalProperties: false,
    required: ['message'],
    properties: {
      message: { type: 'string', description: 'The text the module exposes as MESSAGE' },
    },
  },
  async apply(ctx) {
    const file = path.join(ctx.env.sitePackages, 'motd.py');
    await fs.writeFile(file, `MESSAGE = ${JSON.stringify(ctx.options.message)}\n`);
    ctx.log(`wrote ${file}`);
    // Outputs are stored in state and can be referenced: ${parts.motd.module}
    return { outputs: { module: file }, created: [file] };
  },
});
