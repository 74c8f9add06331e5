import assert from "node:assert/strict";
import { Packet } from "../decode/packet.ts";
import { arp, tcp, udp } from "../flow/_packet_builder.ts";
import { MinimalFlowTable } from "./_minimal_flows.ts";

/** Sum of packets of both directions over all entries, and the two direction totals. */
function totals(t: MinimalFlowTable): { lo: number; hi: number } {
  let lo = 0, hi = 0;
  for (let e = 0; e < t.packets.length; e += 2) {
    lo += t.packets[e]!;
    hi += t.packets[e + 1]!;
  }
  return { lo, hi };
}

Deno.test("reference flow table: both directions of a 5-tuple are one flow, counted apart", () => {
  const t = new MinimalFlowTable(64), p = new Packet();
  t.update(tcp(p, 1, "10.0.0.1", 40000, "10.0.0.2", 80, "S", 74));
  t.update(tcp(p, 2, "10.0.0.2", 80, "10.0.0.1", 40000, "SA", 74));
  t.update(tcp(p, 3, "10.0.0.1", 40000, "10.0.0.2", 80, "A", 66));
  assert.equal(t.flows, 1);
  assert.deepEqual(totals(t), { lo: 2, hi: 1 });
  let bytes = 0;
  for (const b of t.bytes) bytes += b;
  assert.equal(bytes, 74 + 74 + 66);
});

Deno.test("reference flow table: other ports, protocol or family are other flows", () => {
  const t = new MinimalFlowTable(64), p = new Packet();
  t.update(tcp(p, 1, "10.0.0.1", 40000, "10.0.0.2", 80, "S"));
  t.update(tcp(p, 1, "10.0.0.1", 40001, "10.0.0.2", 80, "S"));
  t.update(udp(p, 1, "10.0.0.1", 40000, "10.0.0.2", 80));
  t.update(tcp(p, 1, "2001:db8::1", 40000, "2001:db8::2", 80, "S"));
  assert.equal(t.flows, 4);
  assert.equal(t.skipped, 0);
});

Deno.test("reference flow table: skips packets without IP, and new flows once half full", () => {
  const t = new MinimalFlowTable(8), p = new Packet();
  t.update(arp(p, 1, "10.0.0.1", "10.0.0.2"));
  assert.equal(t.skipped, 1);
  for (let port = 1; port <= 6; port++) t.update(udp(p, 1, "10.0.0.1", port, "10.0.0.2", 53));
  assert.equal(t.flows, 4); // 4 of 8 entries: half full, so the fifth and sixth are skipped
  assert.equal(t.skipped, 3);
  t.update(udp(p, 2, "10.0.0.2", 53, "10.0.0.1", 1)); // the answer of a counted flow
  assert.equal(t.skipped, 3);
  assert.deepEqual(totals(t), { lo: 4, hi: 1 }); // 10.0.0.1 is the lower endpoint
});
