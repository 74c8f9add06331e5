import assert from "node:assert/strict";
import { AnomalyCounter } from "./anomalies.ts";

Deno.test("AnomalyCounter samples the first 25 of each name, then 1 in 1000", () => {
  const c = new AnomalyCounter();
  const sampled: number[] = [];
  for (let i = 1; i <= 3100; i++) if (c.record("ipv4.truncated")) sampled.push(i);
  // 1..25, then the 1025th, 2025th and 3025th.
  assert.deepStrictEqual(sampled, [
    ...Array.from({ length: 25 }, (_, i) => i + 1),
    1025,
    2025,
    3025,
  ]);
  assert.equal(c.count("ipv4.truncated"), 3100);
  // Names are counted apart.
  assert.equal(c.record("tcp.invalid_hlen"), true);
  assert.equal(c.count("tcp.invalid_hlen"), 1);
  assert.equal(c.total, 3101);
});

Deno.test("AnomalyCounter takes problems and answers shouldSample() for the latest count", () => {
  const c = new AnomalyCounter();
  assert.equal(c.shouldSample("udp.invalid_len"), false);
  c.record({ kind: "invalid", layer: "udp", field: "len", value: 3, offset: 34 });
  assert.equal(c.shouldSample("udp.invalid_len"), true);
  for (let i = 0; i < 25; i++) c.record("udp.invalid_len");
  assert.equal(c.count("udp.invalid_len"), 26);
  assert.equal(c.shouldSample("udp.invalid_len"), false);
  c.record({ kind: "truncated", layer: "arp", required: 8, available: 2, offset: 14 });
  assert.deepStrictEqual(c.entries(), [["arp.truncated", 1], ["udp.invalid_len", 26]]);
});
