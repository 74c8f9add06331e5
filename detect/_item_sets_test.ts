import assert from "node:assert/strict";
import { ItemSets } from "./_item_sets.ts";

Deno.test("ItemSets.add() adds each item once per slot, clears, and keeps slots apart", () => {
  const sets = new ItemSets(40, 8);
  for (let s = 0; s < 40; s++) {
    for (let i = 0; i < 8; i++) assert.equal(sets.add(s, s * 1e12 + i * 65537), true);
    assert.equal(sets.count(s), 8);
  }
  for (let s = 0; s < 40; s++) {
    for (let i = 0; i < 8; i++) assert.equal(sets.has(s, s * 1e12 + i * 65537), true);
    assert.equal(sets.has(s, (s + 1) * 1e12), false);
    assert.equal(sets.add(s, s * 1e12), false);
  }
  sets.clear(3);
  assert.equal(sets.count(3), 0);
  assert.equal(sets.has(3, 3e12), false);
  assert.equal(sets.has(4, 4e12), true);
  // 0 and the largest key are items like any other.
  assert.equal(sets.add(3, 0), true);
  assert.equal(sets.add(3, 2 ** 53 - 2), true);
  assert.equal(sets.has(3, 0) && sets.has(3, 2 ** 53 - 2), true);
});
