/** Levenshtein distance, for "did you mean". */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur.push(Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

/**
 * Up to `limit` candidates closest to `wanted`: those at the smallest edit distance (at most a
 * third of the name, at least 2), else those containing it or contained in it (`apt` →
 * `python-apt`). Compared
 * case-insensitively with `-_.` folded; the candidates are returned as written.
 */
export function closestNames(wanted: string, candidates: Iterable<string>, limit = 3): string[] {
  const fold = (s: string): string => s.toLowerCase().replace(/[-_.]+/g, '-');
  const w = fold(wanted);
  const max = Math.max(2, Math.floor(w.length / 3));
  const scored: Array<{ name: string; score: number }> = [];
  const seen = new Set<string>();
  for (const c of candidates) {
    if (seen.has(c)) continue;
    seen.add(c);
    const f = fold(c);
    const d = editDistance(w, f);
    if (d <= max) scored.push({ name: c, score: d });
    else if (w.length >= 3 && (f.includes(w) || w.includes(f)) && f.length >= 3) scored.push({ name: c, score: max + 1 });
  }
  scored.sort((a, b) => a.score - b.score || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  // Only the closest: "beta" for "betta", not also "delta".
  const best = scored[0]?.score;
  return scored
    .filter((s) => s.score === best)
    .slice(0, limit)
    .map((s) => s.name);
}
