import path from 'node:path';
import { ReferenceProblem, type Lookup } from '../interpolate/interpolate.js';
import type { Reference } from '../interpolate/template.js';
import type { Manifest } from '../manifest/types.js';
import type { DesiredEnvironment } from '../plan/types.js';
import { rememberEnvValue } from '../secrets/redact.js';

export type OutputsOf = (env: string, part: string) => Readonly<Record<string, unknown>> | undefined;

/**
 * What `${...}` can name, for the parts of one environment:
 *   environments.E.{name,path,prompt,layout,isolation,bin,site-packages}
 *   environments.E.python.{executable,version,base}   (executable: the environment's own python)
 *   environments.E.parts.P.OUTPUT  and  parts.P.OUTPUT (same environment)
 *   env:VAR, env:VAR:-default
 */
export function makeLookup(manifest: Manifest, desired: readonly DesiredEnvironment[], current: string, outputs: OutputsOf, processEnv: NodeJS.ProcessEnv): Lookup {
  // Built on first use: most parts reference nothing, and a lookup is made per environment.
  let resolved: Map<string, DesiredEnvironment> | undefined;
  let names: string[] | undefined;
  return (ref: Reference) => {
    resolved ??= new Map(desired.map((d) => [d.name, d]));
    names ??= manifest.environments.map((e) => e.name);
    if (ref.kind === 'env-var') {
      const v = processEnv[ref.name];
      if (v !== undefined) {
        // Hidden from everything envbuild prints from now on (state records the reference).
        rememberEnvValue(ref.name, v);
        return v;
      }
      if (ref.fallback !== undefined) return ref.fallback;
      throw new ReferenceProblem(`${ref.raw}: the environment variable ${ref.name} is not set (write \${env:${ref.name}:-default} to allow that)`);
    }
    const s = ref.segments;
    if (s[0] === 'parts') return partOutput(ref, current, s.slice(1), outputs, manifest);
    if (s[0] !== 'environments') {
      throw new ReferenceProblem(`${ref.raw} names nothing: references start with environments., parts. or env:`);
    }
    for (let k = s.length; k >= 2; k--) {
      const name = s.slice(1, k).join('.');
      if (!names.includes(name)) continue;
      const rest = s.slice(k);
      if (rest[0] === 'parts') return partOutput(ref, name, rest.slice(1), outputs, manifest);
      return environmentField(ref, name, rest, manifest, resolved.get(name));
    }
    throw new ReferenceProblem(`${ref.raw} names an unknown environment; environments: ${names.join(', ')}`);
  };
}

function environmentField(ref: Reference, name: string, rest: readonly string[], manifest: Manifest, d: DesiredEnvironment | undefined): unknown {
  const spec = manifest.environments.find((e) => e.name === name)!;
  const field = rest.join('.');
  const needsResolution = () => {
    if (!d) throw new ReferenceProblem(`${ref.raw}: environment ${name} is not part of this run (see --env), so its ${field} is unknown`);
    return d;
  };
  switch (field) {
    case 'name':
      return spec.name;
    case 'path':
      return spec.path;
    case 'prompt':
      return spec.prompt;
    case 'isolation':
      return spec.isolation.mode;
    case 'layout':
      return needsResolution().inputs.layout;
    case 'bin':
      return path.join(spec.path, 'bin');
    case 'site-packages':
      return needsResolution().recipeEnv.sitePackages;
    case 'python':
    case 'python.executable':
      return path.join(spec.path, 'bin', 'python');
    case 'python.version':
      return needsResolution().inputs.python.version;
    case 'python.base':
      return needsResolution().inputs.python.executable;
    default:
      throw new ReferenceProblem(
        `${ref.raw}: environments have no field "${field}"; use name, path, prompt, layout, isolation, bin, site-packages, python.executable, python.version, python.base or parts.PART.OUTPUT`,
      );
  }
}

function partOutput(ref: Reference, env: string, rest: readonly string[], outputs: OutputsOf, manifest: Manifest): unknown {
  const [part, ...keys] = rest;
  const spec = manifest.environments.find((e) => e.name === env);
  if (!part || !spec?.parts.some((p) => p.name === part)) {
    throw new ReferenceProblem(`${ref.raw}: environment ${env} has no part "${part ?? ''}"`);
  }
  if (keys.length === 0) throw new ReferenceProblem(`${ref.raw}: name one of the part's outputs, e.g. \${parts.${part}.NAME}`);
  const out = outputs(env, part);
  if (out === undefined) throw new ReferenceProblem(`${ref.raw}: part ${env}.${part} has not been applied yet, so its outputs are unknown`);
  let v: unknown = out;
  for (const k of keys) {
    // Own fields only: `in` would also find Object.prototype's (constructor, __proto__, toString).
    if (v === null || typeof v !== 'object' || !Object.hasOwn(v, k)) {
      throw new ReferenceProblem(`${ref.raw}: part ${env}.${part} has no output "${keys.join('.')}"; its outputs: ${Object.keys(out).join(', ') || '(none)'}`);
    }
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}
