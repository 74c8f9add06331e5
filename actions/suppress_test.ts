import assert from "node:assert/strict";
import { Suppressor } from "./suppress.ts";
import { makeAlert } from "./notifiers/_fixtures.ts";

Deno.test("Suppressor passes the first alert and holds repeats inside the interval", () => {
  const s = new Suppressor({ intervalS: 60, maxKeys: 100 });
  const a = makeAlert();
  assert.deepEqual(s.check(a, 1000), { pass: true, suppressed: 0 });
  assert.deepEqual(s.check(a, 1010), { pass: false });
  assert.deepEqual(s.check(a, 1059.999), { pass: false });
  // 1060 - 1000 = 60 >= interval: passes and carries the 2 held-back repeats.
  assert.deepEqual(s.check(a, 1060), { pass: true, suppressed: 2 });
  // The interval restarts at 1060.
  assert.deepEqual(s.check(a, 1100), { pass: false });
  assert.deepEqual(s.check(a, 1121), { pass: true, suppressed: 1 });
});

Deno.test("Suppressor keys on detector, offender and target", () => {
  const s = new Suppressor({ intervalS: 60, maxKeys: 100 });
  assert.deepEqual(s.check(makeAlert(), 0), { pass: true, suppressed: 0 });
  assert.deepEqual(s.check(makeAlert({ detector: "scan.host" }), 1), { pass: true, suppressed: 0 });
  assert.deepEqual(s.check(makeAlert({ offender: "10.200.0.3" }), 2), {
    pass: true,
    suppressed: 0,
  });
  assert.deepEqual(s.check(makeAlert({ destIp: "10.200.0.9" }), 3), { pass: true, suppressed: 0 });
  // Only the source port and signature differ: same triple, held back.
  assert.deepEqual(s.check(makeAlert({ srcPort: 1, signature: "other" }), 4), { pass: false });
  assert.equal(s.size, 4);
});

Deno.test("Suppressor with interval 0 passes everything", () => {
  const s = new Suppressor({ intervalS: 0, maxKeys: 100 });
  for (let t = 0; t < 3; t++) {
    assert.deepEqual(s.check(makeAlert(), t), { pass: true, suppressed: 0 });
  }
  assert.equal(s.size, 0);
});

Deno.test("Suppressor.sweep() reports repeats no later alert carried, and forgets", () => {
  const s = new Suppressor({ intervalS: 60, maxKeys: 100 });
  const a = makeAlert();
  const quiet = makeAlert({ offender: "10.200.0.7", srcIp: "10.200.0.7" });
  s.check(a, 100);
  s.check(a, 110);
  s.check(a, 120);
  s.check(quiet, 100);
  assert.deepEqual(s.sweep(159), []);
  assert.deepEqual(s.sweep(160), [{
    detector: "scan.port",
    offender: "10.200.0.2",
    target: "10.200.0.1",
    signature: "TCP port scan of 10.200.0.1 by 10.200.0.2",
    severity: 2,
    count: 2,
    firstTs: 110,
    lastTs: 120,
    reason: "interval",
  }]);
  assert.equal(s.size, 0);
  // Forgotten: the next one passes with nothing to report.
  assert.deepEqual(s.check(a, 161), { pass: true, suppressed: 0 });
});

Deno.test("Suppressor stays within maxKeys and reports evicted repeats", () => {
  const s = new Suppressor({ intervalS: 60, maxKeys: 3 });
  const at = (i: number) => makeAlert({ offender: `10.0.0.${i}` });
  s.check(at(1), 0);
  s.check(at(1), 1); // one repeat held for 10.0.0.1
  s.check(at(2), 2);
  s.check(at(3), 3);
  s.check(at(4), 4); // evicts 10.0.0.1 (least recently seen)
  assert.equal(s.size, 3);
  assert.equal(s.evictions, 1);
  const out = s.sweep(5);
  assert.equal(out.length, 1);
  assert.equal(out[0]!.offender, "10.0.0.1");
  assert.equal(out[0]!.count, 1);
  assert.equal(out[0]!.reason, "evicted");
  for (let i = 0; i < 10_000; i++) s.check(at(i), 10);
  assert.equal(s.size, 3);
});

Deno.test("Suppressor treats a clock that steps back as inside the interval", () => {
  const s = new Suppressor({ intervalS: 60, maxKeys: 10 });
  s.check(makeAlert(), 100);
  assert.deepEqual(s.check(makeAlert(), 99), { pass: false });
});

Deno.test("Suppressor evicts the least recently seen triple first, under churn (order and counts pinned)", () => {
  // 400 offenders against 60 remembered triples, with repeats inside the interval so that
  // evicted triples carry held-back counts, and a sweep every 5000 alerts (at most 1000
  // evicted summaries wait for one; beyond that only their repeats are counted). A model
  // (recency as an array) gives the expected order; the pinned counts are those the
  // Suppressor gave when it evicted with map.entries().next() (before EvictionCursor).
  const s = new Suppressor({ intervalS: 3600, maxKeys: 60 });
  const recency: string[] = [];
  const held = new Map<string, number>();
  let evictedSinceSweep: { offender: string; count: number }[] = [];
  const expected: { offender: string; count: number; reason: string }[] = [];
  const actual: { offender: string; count: number; reason: string }[] = [];
  let expectedLost = 0, passed = 0, summaries = 0;
  const sweep = (nowS: number) => {
    const out = s.sweep(nowS);
    summaries += out.length;
    actual.push(...out.map((e) => ({ offender: e.offender, count: e.count, reason: e.reason })));
    const withRepeats = evictedSinceSweep.filter((e) => e.count > 0);
    expected.push(...withRepeats.slice(0, 1000).map((e) => ({ ...e, reason: "evicted" })));
    expectedLost += withRepeats.slice(1000).reduce((sum, e) => sum + e.count, 0);
    evictedSinceSweep = [];
  };
  let x = 12345;
  for (let i = 0; i < 20_000; i++) {
    x ^= x << 13; // xorshift32
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    // Mostly a small hot set (touches), sometimes one of many cold offenders (evictions).
    const n = x % 10 < 7 ? (x >>> 8) % 40 : 40 + (x >>> 8) % 360;
    const offender = `10.9.${n >> 8}.${n & 0xff}`;
    const at = recency.indexOf(offender);
    if (at >= 0) recency.splice(at, 1);
    else if (recency.length === 60) {
      const old = recency.shift()!;
      evictedSinceSweep.push({ offender: old, count: held.get(old)! });
      held.delete(old);
    }
    recency.push(offender);
    const r = s.check(makeAlert({ offender, srcIp: offender }), 1000 + i * 0.01);
    held.set(offender, r.pass ? 0 : held.get(offender)! + 1);
    if (r.pass) passed++;
    if (i % 5000 === 4999) sweep(1000 + i * 0.01);
  }
  assert.deepEqual(actual, expected);
  assert.equal(s.lostRepeats, expectedLost);
  assert.equal(s.size, recency.length);
  assert.deepEqual(
    { passed, evictions: s.evictions, summaries, lost: s.lostRepeats },
    { passed: 8151, evictions: 8091, summaries: 2523, lost: 0 },
  );
});
