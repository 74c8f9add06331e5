/** Levenshtein edit distance between two strings. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * The known name nearest to `name`, or null when none is close (distance at most a third of
 * the longer name, at least 2; a known name that contains `name` or is contained also counts).
 */
export function nearest(name: string, known: Iterable<string>): string | null {
  let best: string | null = null;
  let bestDist = Infinity;
  const lower = name.toLowerCase();
  for (const k of known) {
    const d = editDistance(lower, k.toLowerCase());
    if (d < bestDist) {
      best = k;
      bestDist = d;
    }
  }
  if (best === null) return null;
  const limit = Math.max(2, Math.floor(Math.max(name.length, best.length) / 3));
  if (bestDist <= limit) return best;
  for (const k of known) {
    if (lower.length >= 3 && (k.includes(lower) || lower.includes(k))) return k;
  }
  return null;
}
