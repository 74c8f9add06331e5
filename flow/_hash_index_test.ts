import assert from "node:assert/strict";
import fc from "fast-check";
import { doubledHashIndex, insertIntoHashIndex, removeFromHashIndex } from "./_hash_index.ts";

/** The slot of `hash`'s entry for `slot` as a lookup finds it (probing from home), or -1. */
function lookup(index: Int32Array, mask: number, hash: number, slot: number): number {
  for (let i = hash & mask, n = 0; n <= mask; i = (i + 1) & mask, n++) {
    const v = index[2 * i + 1]!;
    if (v === 0) return -1;
    if (index[2 * i] === hash && v === slot + 1) return i;
  }
  return -1;
}

Deno.test("hash index: the newest key sits at its home entry, older ones move on", () => {
  const mask = 7, index = new Int32Array(16);
  insertIntoHashIndex(index, mask, 3, 0); // home 3
  insertIntoHashIndex(index, mask, 11, 1); // home 3 too: takes it, slot 0 moves to 4
  insertIntoHashIndex(index, mask, 4, 2); // home 4: takes it, slot 0 moves to 5
  assert.equal(lookup(index, mask, 11, 1), 3);
  assert.equal(lookup(index, mask, 4, 2), 4);
  assert.equal(lookup(index, mask, 3, 0), 5);
  // Removing slot 1 moves slot 0 back to its home; slot 2, at its own home, stays.
  removeFromHashIndex(index, mask, 11, 1);
  assert.equal(lookup(index, mask, 4, 2), 4);
  assert.equal(lookup(index, mask, 3, 0), 3);
  assert.equal(lookup(index, mask, 11, 1), -1);
});

Deno.test("hash index: wraps around the end of the index", () => {
  const mask = 3, index = new Int32Array(8);
  insertIntoHashIndex(index, mask, 3, 0);
  insertIntoHashIndex(index, mask, 7, 1); // home 3: slot 0 moves to 0 (wrapped)
  assert.equal(lookup(index, mask, 7, 1), 3);
  assert.equal(lookup(index, mask, 3, 0), 0);
  removeFromHashIndex(index, mask, 7, 1);
  assert.equal(lookup(index, mask, 3, 0), 3);
});

Deno.test("hash index: any sequence of inserts and removals keeps every live key reachable", () => {
  const op = fc.record({
    insert: fc.boolean(),
    hash: fc.integer({ min: -64, max: 64 }),
    pick: fc.nat(),
  });
  fc.assert(
    fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
      const mask = 31, index = new Int32Array(64);
      const live = new Map<number, number>(); // slot → hash
      let next = 0;
      for (const o of ops) {
        if (o.insert && live.size < 16) { // load at most one half, as the owners keep it
          insertIntoHashIndex(index, mask, o.hash, next);
          live.set(next++, o.hash);
        } else if (live.size > 0) {
          const slots = [...live.keys()];
          const slot = slots[o.pick % slots.length]!;
          removeFromHashIndex(index, mask, live.get(slot)!, slot);
          live.delete(slot);
        }
        let used = 0;
        for (let i = 0; i <= mask; i++) if (index[2 * i + 1] !== 0) used++;
        if (used !== live.size) return false;
        for (const [slot, hash] of live) if (lookup(index, mask, hash, slot) < 0) return false;
      }
      return true;
    }),
    { numRuns: 500 },
  );
});

Deno.test("hash index: doubling keeps every entry reachable", () => {
  let mask = 7, index = new Int32Array(16);
  const hashes = [3, 11, 19, -5, 4, 100];
  hashes.forEach((h, slot) => insertIntoHashIndex(index, mask, h, slot));
  index = doubledHashIndex(index, mask);
  mask = 15;
  assert.equal(index.length, 32);
  hashes.forEach((h, slot) => assert.ok(lookup(index, mask, h, slot) >= 0, `slot ${slot}`));
});
