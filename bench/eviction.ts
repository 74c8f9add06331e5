/**
 * Micro benchmark of evicting a Map's oldest entry under churn: `map.keys().next()` (what
 * actions/suppress.ts and actions/ban_manager.ts did) against {@link EvictionCursor}.
 *
 * The churn is that of a recency cache at its cap: half the operations touch a remembered key
 * (delete, set again: it moves to the end), half add a new key, which first evicts the oldest.
 * Both ways replay the same operations and must evict the same keys in the same order. Prints
 * the time per eviction (including the touches and inserts between evictions, the same for
 * both), median of the runs.
 *
 * Usage: deno run bench/eviction.ts [--runs N]   (N defaults to 3)
 *
 * @module
 */

import { EvictionCursor } from "../actions/_eviction_cursor.ts";

/** Caps measured: scan detectors' 2,000, the suppressor's 10,000, the offences' 100,000. */
const CAPS = [2_000, 10_000, 100_000];

interface Outcome {
  /** Microseconds per eviction. */
  us: number;
  evicted: number[];
}

function churn(cap: number, evictOldest: (m: Map<number, number>) => number): Outcome {
  const map = new Map<number, number>();
  const evicted: number[] = [];
  let x = 2463534242, next = 0;
  const ops = cap * 5; // every key of the cap is evicted about twice
  const t0 = performance.now();
  for (let i = 0; i < ops; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    if (map.size > 0 && (x & 1) === 0) {
      const key = next - 1 - ((x >>> 1) % Math.min(next, cap));
      const value = map.get(key);
      if (value !== undefined) {
        map.delete(key);
        map.set(key, value);
        continue;
      }
    }
    if (map.size >= cap) evicted.push(evictOldest(map));
    map.set(next, next);
    next++;
  }
  return { us: ((performance.now() - t0) * 1000) / evicted.length, evicted };
}

const viaKeys = (m: Map<number, number>): number => {
  const key = m.keys().next().value!;
  m.delete(key);
  return key;
};

function viaCursor(): (m: Map<number, number>) => number {
  let cursor: EvictionCursor<number, number> | null = null;
  return (m) => (cursor ??= new EvictionCursor(m)).shift()![0];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

if (import.meta.main) {
  const at = Deno.args.indexOf("--runs");
  const runs = at >= 0 ? Number(Deno.args[at + 1]) : 3;
  if (!Number.isInteger(runs) || runs < 1) {
    console.error(`Cannot use --runs "${Deno.args[at + 1]}": expected a positive integer`);
    Deno.exit(2);
  }
  console.log("cap       evictions  keys().next() µs  EvictionCursor µs  same evictions");
  for (const cap of CAPS) {
    const before: number[] = [], after: number[] = [];
    let same = true, count = 0;
    for (let r = 0; r < runs; r++) {
      const a = churn(cap, viaKeys), b = churn(cap, viaCursor());
      before.push(a.us);
      after.push(b.us);
      count = a.evicted.length;
      same &&= a.evicted.length === b.evicted.length &&
        a.evicted.every((k, i) => k === b.evicted[i]);
    }
    console.log(
      `${String(cap).padEnd(9)} ${String(count).padEnd(10)} ${
        median(before).toFixed(2).padStart(16)
      } ${median(after).toFixed(2).padStart(18)}  ${same ? "yes" : "NO"}`,
    );
  }
}
