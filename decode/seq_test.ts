import assert from "node:assert/strict";
import fc from "fast-check";
import { seqAdd, seqDiff, seqGeq, seqGt, seqLeq, seqLt } from "./seq.ts";

Deno.test("seqLt() and friends compare across the 2^32 wrap", () => {
  // 0xfffffff0 + 21 = 2^32 + 5 → 5 is 21 bytes after 0xfffffff0.
  assert.equal(seqLt(0xfffffff0, 5), true);
  assert.equal(seqLt(5, 0xfffffff0), false);
  assert.equal(seqDiff(5, 0xfffffff0), 21);
  assert.equal(seqDiff(0xfffffff0, 5), -21);
  assert.equal(seqLeq(7, 7), true);
  assert.equal(seqLt(7, 7), false);
  assert.equal(seqGt(1, 0xffffffff), true);
  assert.equal(seqGeq(0xffffffff, 0xffffffff), true);
  assert.equal(seqAdd(0xffffffff, 2), 1);
  assert.equal(seqAdd(10, -20), 0xfffffff6);
});

Deno.test("seqAdd() and seqDiff() are inverse for distances below 2^31", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.integer({ min: -0x7fffffff, max: 0x7fffffff }),
      (a, n) => {
        const b = seqAdd(a, n);
        return b >= 0 && b <= 0xffffffff && seqDiff(b, a) === n &&
          seqLt(a, b) === (n > 0) && seqLeq(a, b) === (n >= 0) && seqGt(b, a) === (n > 0);
      },
    ),
  );
});
