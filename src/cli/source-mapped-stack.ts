import { readFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The CLI runs bundled (dist/cli.mjs and dist/chunks/), so a stack trace names lines of the
 * bundle. This rewrites every frame whose file has a source map beside it to the src/ or
 * recipes/ line it came from; other frames are left as they are. It is done here, only when a
 * stack is about to be shown, because `--enable-source-maps` would read and parse every map at
 * start-up (~11 ms on each run).
 */
export function sourceMappedStack(stack: string): string {
  const maps = new Map<string, SourceMap | null>();
  return stack.replace(/(file:\/\/\/[^\s()]+):(\d+):(\d+)/g, (frame, url: string, line: string, column: string) => {
    let file: string;
    try {
      file = fileURLToPath(url);
    } catch {
      return frame;
    }
    let map = maps.get(file);
    if (map === undefined) {
      map = readSourceMap(file);
      maps.set(file, map);
    }
    const entry = map?.findEntry(Number(line) - 1, Number(column) - 1);
    if (!entry || !('originalSource' in entry)) return frame;
    const source = entry.originalSource.startsWith('file:')
      ? fileURLToPath(entry.originalSource)
      : path.resolve(path.dirname(file), entry.originalSource);
    return `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  });
}

function readSourceMap(file: string): SourceMap | null {
  try {
    return new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')) as SourceMapPayload);
  } catch {
    return null;
  }
}
