/**
 * The open-addressing index shared by the flow table and the detectors' key slots: an
 * `Int32Array` of entries `[hash, slot + 1]` (slot + 1 = 0: empty), linear probing over a
 * power-of-two number of entries.
 *
 * @module
 */

/**
 * Adds the entry for `slot` (whose key hashes to `hash`) at its home entry, last come first
 * served: the entries from there up to the first free one move on by one. Every entry still
 * lies after its home with no free entry between, as linear probing needs; but the newest
 * keys, those that packets look up most (a flow's packets follow its creation), sit at
 * their home, so that a lookup takes one probe, not the one to three that appending at the
 * end of the run costs at a load of a quarter to a half (measured on the benchmark capture:
 * 1.8 probes per lookup on average before, 1.01 after).
 */
export function insertIntoHashIndex(
  index: Int32Array,
  mask: number,
  hash: number,
  slot: number,
): void {
  let i = hash & mask, h = hash, v = slot + 1;
  for (;;) {
    const movedHash = index[2 * i]!, moved = index[2 * i + 1]!;
    index[2 * i] = h;
    index[2 * i + 1] = v;
    if (moved === 0) return;
    h = movedHash;
    v = moved;
    i = (i + 1) & mask;
  }
}

/**
 * Removes the entry for `slot` (whose key hashes to `hash`) by backward-shift deletion, so
 * that no tombstones are left and every remaining key stays reachable from its home entry.
 * The entry must be in the index.
 */
export function removeFromHashIndex(
  index: Int32Array,
  mask: number,
  hash: number,
  slot: number,
): void {
  let i = hash & mask;
  while (index[2 * i + 1] !== slot + 1) i = (i + 1) & mask;
  let j = i;
  for (;;) {
    j = (j + 1) & mask;
    const v = index[2 * j + 1]!;
    if (v === 0) break;
    const hj = index[2 * j]!, k = hj & mask;
    // Skip entries whose home slot lies cyclically in (i, j]: they must not move.
    if (i <= j ? (i < k && k <= j) : (i < k || k <= j)) continue;
    index[2 * i] = hj;
    index[2 * i + 1] = v;
    i = j;
  }
  index[2 * i] = 0;
  index[2 * i + 1] = 0;
}

/** Entries an index needs for `keys` keys at a load of at most one half (a power of two). */
export function hashIndexEntries(keys: number): number {
  let size = 1;
  while (size < keys * 2) size *= 2;
  return size;
}

/**
 * A hash index of twice the entries of `index` (whose mask is `mask`) holding the same
 * entries, each at its place in the new one. The old index becomes garbage.
 */
export function doubledHashIndex(index: Int32Array, mask: number): Int32Array<ArrayBuffer> {
  const size = mask + 1, out = new Int32Array(size * 4), outMask = size * 2 - 1;
  for (let j = 0; j < size; j++) {
    const v = index[2 * j + 1]!;
    if (v !== 0) insertIntoHashIndex(out, outMask, index[2 * j]!, v - 1);
  }
  return out;
}

/**
 * A random 32-bit seed for a table's hash, drawn once per table: the indexes hash keys that
 * hostile traffic chooses (spoofed addresses and ports), and with fixed constants anyone who
 * reads this code could choose keys that share an entry's home and make every lookup walk a
 * long run. Results never depend on the seed, only where entries sit.
 */
export function randomHashSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]! | 0;
}
