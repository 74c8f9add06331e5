import assert from "node:assert/strict";
import fc from "fast-check";
import { EvictionCursor } from "./_eviction_cursor.ts";

/** What callers do to a cache Map between evictions; replayed on two Maps side by side. */
type Op =
  | { op: "insert" } // a new key at the end
  | { op: "touch"; pick: number } // delete and set again: moves to the end
  | { op: "update"; pick: number } // set an existing key: keeps its place
  | { op: "delete"; pick: number } // removed by other code (a sweep)
  | { op: "evict" }
  | { op: "reset" }
  | { op: "clear" };

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ op: "insert" as const }) },
  { weight: 3, arbitrary: fc.nat().map((pick) => ({ op: "touch" as const, pick })) },
  { weight: 1, arbitrary: fc.nat().map((pick) => ({ op: "update" as const, pick })) },
  { weight: 1, arbitrary: fc.nat().map((pick) => ({ op: "delete" as const, pick })) },
  { weight: 4, arbitrary: fc.constant({ op: "evict" as const }) },
  { weight: 1, arbitrary: fc.constant({ op: "reset" as const }) },
  { weight: 1, arbitrary: fc.constant({ op: "clear" as const }) },
);

Deno.test("EvictionCursor.shift() removes what map.keys().next() names, under any churn", () => {
  fc.assert(
    fc.property(fc.array(opArbitrary, { minLength: 50, maxLength: 400, size: "max" }), (ops) => {
      const plain = new Map<number, number>(); // evicted the old way
      const fast = new Map<number, number>();
      const cursor = new EvictionCursor(fast);
      let next = 0;
      for (const o of ops) {
        const keys = [...plain.keys()];
        const key = "pick" in o && keys.length > 0 ? keys[o.pick % keys.length]! : undefined;
        switch (o.op) {
          case "insert":
            plain.set(next, next);
            fast.set(next, next);
            next++;
            break;
          case "touch":
          case "update":
            if (key === undefined) break;
            if (o.op === "touch") {
              plain.delete(key);
              fast.delete(key);
            }
            plain.set(key, -key);
            fast.set(key, -key);
            break;
          case "delete":
            if (key === undefined) break;
            plain.delete(key);
            fast.delete(key);
            break;
          case "evict": {
            const first = plain.entries().next();
            if (!first.done) plain.delete(first.value[0]);
            assert.deepEqual(cursor.shift(), first.done ? undefined : first.value);
            break;
          }
          case "reset":
            cursor.reset();
            break;
          case "clear":
            plain.clear();
            fast.clear();
        }
        assert.deepEqual([...fast], [...plain]);
      }
    }),
    { numRuns: 300 },
  );
});

Deno.test("EvictionCursor.shift() returns undefined on an empty map and works once refilled", () => {
  const m = new Map<string, number>();
  const c = new EvictionCursor(m);
  assert.equal(c.shift(), undefined);
  m.set("a", 1);
  m.set("b", 2);
  assert.deepEqual(c.shift(), ["a", 1]);
  assert.deepEqual(c.shift(), ["b", 2]);
  assert.equal(c.shift(), undefined);
  m.set("c", 3);
  assert.deepEqual(c.shift(), ["c", 3]);
  assert.equal(m.size, 0);
});
