import assert from "node:assert/strict";
import { KeySlots } from "./_key_slots.ts";

Deno.test("KeySlots: keys stay found while the index grows, and the cap evicts the least recently used", () => {
  const k = new KeySlots(1000, 60);
  const slots = new Map<number, number>();
  // IPv4-sized and IPv6-sized keys (below 2^53), far more than the first index holds.
  for (let i = 0; i < 1000; i++) {
    const key = i % 2 === 0 ? 0xc0a80000 + i : 2 ** 32 + i * 7_919_000_003;
    assert.equal(k.find(key, 1), -1);
    slots.set(key, k.insert(key, 1));
  }
  assert.equal(k.size, 1000);
  for (const [key, s] of slots) assert.equal(k.find(key, 2), s);
  // Full: a new key evicts the least recently used, the first one found above.
  const first = slots.keys().next().value!;
  const s = k.insert(2 ** 40, 3);
  assert.equal(k.evictions, 1);
  assert.equal(s, slots.get(first));
  assert.equal(k.find(first, 3), -1);
  assert.equal(k.find(2 ** 40, 3), s);
  // Idle keys expire; a key seen since stays.
  k.seen(s, 50);
  k.expire(70);
  assert.equal(k.size, 1);
  assert.equal(k.find(2 ** 40, 70), s);
});
