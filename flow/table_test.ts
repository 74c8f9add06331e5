// Flow table unit tests. Packets are hand-built with flow/_packet_builder.ts.
import assert from "node:assert/strict";
import { LayerBit, Packet } from "../decode/packet.ts";
import { defaultFlowConfig, type FlowConfig } from "./config.ts";
import { icmp, icmpError, tcp, udp } from "./_packet_builder.ts";
import {
  END_REASON_NAMES,
  type FlowListener,
  FlowTable,
  OUTCOME_NAMES,
  TcpState,
} from "./table.ts";
import { formatIp } from "./address.ts";

interface Recorded {
  events: string[];
}

function table(over: Partial<FlowConfig> = {}): FlowTable & Recorded {
  const t = new FlowTable({ ...defaultFlowConfig, ...over }) as FlowTable & Recorded;
  t.events = [];
  const l: FlowListener = {
    onNewFlow: (tb, f) =>
      t.events.push(
        `new ${formatIp(tb.family[f]!, tb.addrI, f * 4)}:${tb.portI[f]}>${
          formatIp(tb.family[f]!, tb.addrR, f * 4)
        }:${tb.portR[f]}`,
      ),
    onAttempt: (_tb, _f, o, now) => t.events.push(`attempt ${OUTCOME_NAMES[o]} @${now}`),
    onFlowEnd: (_tb, _f, r, now) => t.events.push(`end ${END_REASON_NAMES[r]} @${now}`),
  };
  t.addListener(l);
  return t;
}

Deno.test("FlowTable joins both directions into one flow and keeps the initiator", () => {
  const t = table(), p = new Packet();
  const a = t.update(tcp(p, 1, "10.0.0.1", 40000, "10.0.0.2", 80, "S", 60));
  const b = t.update(tcp(p, 1.1, "10.0.0.2", 80, "10.0.0.1", 40000, "SA", 60));
  const c = t.update(tcp(p, 1.2, "10.0.0.1", 40000, "10.0.0.2", 80, "A", 54));
  assert.equal(a, b);
  assert.equal(a, c);
  assert.equal(t.size, 1);
  assert.equal(t.pktsI[a], 2);
  assert.equal(t.pktsR[a], 1);
  assert.equal(t.bytesI[a], 114);
  assert.equal(t.bytesR[a], 60);
  assert.equal(t.state[a], TcpState.established);
  assert.deepEqual(t.events, ["new 10.0.0.1:40000>10.0.0.2:80", "attempt answered @1.1"]);
});

Deno.test("FlowTable tells IPv6 flows apart from IPv4 ones with the same low word", () => {
  const t = table(), p = new Packet();
  const a = t.update(tcp(p, 1, "::a00:1", 1, "::a00:2", 2, "S"));
  const b = t.update(tcp(p, 1, "10.0.0.1", 1, "10.0.0.2", 2, "S"));
  const c = t.update(tcp(p, 1, "::a00:2", 2, "::a00:1", 1, "R"));
  assert.notEqual(a, b);
  assert.equal(a, c);
  assert.deepEqual(t.events.slice(-1), ["attempt refused @1"]);
});

Deno.test("FlowTable reports a RST from the responder as refused", () => {
  const t = table(), p = new Packet();
  t.update(tcp(p, 5, "10.0.0.1", 40000, "10.0.0.2", 23, "S"));
  const f = t.update(tcp(p, 5.001, "10.0.0.2", 23, "10.0.0.1", 40000, "RA"));
  assert.equal(t.state[f], TcpState.closed);
  assert.deepEqual(t.events, ["new 10.0.0.1:40000>10.0.0.2:23", "attempt refused @5.001"]);
});

Deno.test("FlowTable reports a SYN with no reply as unanswered after unanswered_timeout", () => {
  const t = table({ unanswered_timeout: 3 }), p = new Packet();
  t.update(tcp(p, 10, "10.0.0.1", 40000, "10.0.0.2", 81, "S"));
  t.update(tcp(p, 11, "10.0.0.1", 40000, "10.0.0.2", 81, "S")); // retransmission: same attempt
  t.tick(12.9);
  assert.deepEqual(t.events, ["new 10.0.0.1:40000>10.0.0.2:81"]);
  // Another packet's clock (13.0 = 10 + 3) resolves it.
  t.update(udp(p, 13, "10.0.0.9", 5353, "10.0.0.8", 5353));
  assert.deepEqual(t.events.slice(1), [
    "attempt unanswered @13",
    "new 10.0.0.9:5353>10.0.0.8:5353",
  ]);
});

Deno.test("FlowTable matches an ICMP port unreachable to the quoted UDP attempt", () => {
  const t = table(), p = new Packet();
  t.update(udp(p, 1, "10.0.0.1", 50000, "10.0.0.2", 161));
  // The quote carries the original datagram: 10.0.0.1:50000 > 10.0.0.2:161.
  const r = t.update(
    icmpError(p, 1.01, "10.0.0.2", "10.0.0.1", 3, 3, 17, "10.0.0.1", 50000, "10.0.0.2", 161),
  );
  assert.equal(r, -1);
  // A quote of a flow that does not exist changes nothing.
  t.update(
    icmpError(p, 1.02, "10.0.0.2", "10.0.0.1", 3, 3, 17, "10.0.0.1", 50001, "10.0.0.2", 162),
  );
  assert.deepEqual(t.events, ["new 10.0.0.1:50000>10.0.0.2:161", "attempt refused @1.01"]);
});

Deno.test("FlowTable matches an ICMPv6 port unreachable and answers UDP replies", () => {
  const t = table(), p = new Packet();
  t.update(udp(p, 1, "fd00::1", 50000, "fd00::2", 53));
  t.update(udp(p, 1.1, "fd00::2", 53, "fd00::1", 50000));
  t.update(udp(p, 2, "fd00::1", 50001, "fd00::2", 9));
  t.update(icmpError(p, 2.1, "fd00::2", "fd00::1", 1, 4, 17, "fd00::1", 50001, "fd00::2", 9));
  assert.deepEqual(t.events, [
    "new fd00::1:50000>fd00::2:53",
    "attempt answered @1.1",
    "new fd00::1:50001>fd00::2:9",
    "attempt refused @2.1",
  ]);
});

Deno.test("FlowTable pairs ICMP echo requests and replies by echo id", () => {
  const t = table({ unanswered_timeout: 2 }), p = new Packet();
  t.update(icmp(p, 1, "10.0.0.1", "10.0.0.2", 8, 0, 77, 1));
  t.update(icmp(p, 1.001, "10.0.0.2", "10.0.0.1", 0, 0, 77, 1));
  t.update(icmp(p, 1.5, "10.0.0.1", "10.0.0.3", 8, 0, 77, 1));
  t.tick(4);
  assert.deepEqual(t.events, [
    "new 10.0.0.1:77>10.0.0.2:77",
    "attempt answered @1.001",
    "new 10.0.0.1:77>10.0.0.3:77",
    "attempt unanswered @4",
  ]);
});

Deno.test("FlowTable times flows out by protocol and state (Suricata defaults)", () => {
  const t = table(), p = new Packet();
  // UDP one-way: 30 s. TCP established: 600 s. TCP new (SYN answered by nothing): 60 s.
  t.update(udp(p, 0, "10.0.0.1", 1000, "10.0.0.2", 2000));
  t.update(tcp(p, 0, "10.0.0.1", 1001, "10.0.0.2", 22, "S"));
  t.update(tcp(p, 0, "10.0.0.2", 22, "10.0.0.1", 1001, "SA"));
  t.update(tcp(p, 0, "10.0.0.1", 1001, "10.0.0.2", 22, "A"));
  t.update(tcp(p, 0, "10.0.0.1", 1002, "10.0.0.2", 8080, "S"));
  t.events.length = 0;
  t.tick(29.9);
  assert.equal(t.size, 3);
  t.tick(30);
  assert.equal(t.size, 2);
  t.tick(60);
  assert.equal(t.size, 1);
  t.tick(599);
  assert.equal(t.size, 1);
  t.tick(600);
  assert.equal(t.size, 0);
  assert.deepEqual(t.events, [
    "attempt unanswered @29.9", // UDP and SYN attempts resolve at 5 s, reported on the next tick
    "attempt unanswered @29.9",
    "end timeout @30",
    "end timeout @60",
    "end timeout @600",
  ]);
  assert.equal(t.stats().timeouts, 3);
});

Deno.test("FlowTable ends a closed TCP flow as closed, and a new SYN reuses the ports", () => {
  const t = table(), p = new Packet();
  t.update(tcp(p, 0, "10.0.0.1", 1001, "10.0.0.2", 22, "S"));
  t.update(tcp(p, 0, "10.0.0.2", 22, "10.0.0.1", 1001, "SA"));
  t.update(tcp(p, 0, "10.0.0.1", 1001, "10.0.0.2", 22, "R"));
  t.update(tcp(p, 1, "10.0.0.1", 1001, "10.0.0.2", 22, "S"));
  t.update(tcp(p, 1, "10.0.0.2", 22, "10.0.0.1", 1001, "RA"));
  t.tick(61);
  assert.deepEqual(t.events, [
    "new 10.0.0.1:1001>10.0.0.2:22",
    "attempt answered @0",
    "end closed @1",
    "new 10.0.0.1:1001>10.0.0.2:22",
    "attempt refused @1",
    "end closed @61",
  ]);
});

Deno.test("FlowTable starting mid-handshake takes the SYN-ACK receiver as initiator", () => {
  const t = table(), p = new Packet();
  const f = t.update(tcp(p, 0, "10.0.0.2", 443, "10.0.0.1", 5555, "SA"));
  assert.equal(formatIp(4, t.addrI, f * 4), "10.0.0.1");
  assert.equal(t.portI[f], 5555);
  assert.equal(t.pktsR[f], 1);
  assert.equal(t.pktsI[f], 0);
});

Deno.test("FlowTable evicts the least recently seen flow when full and counts it", () => {
  const t = table({ max_flows: 1024 }), p = new Packet();
  for (let i = 0; i < 1024; i++) t.update(udp(p, i, "10.0.0.1", 1000 + i, "10.0.0.2", 53));
  // Refresh flow 0, so that flow 1 is now the oldest.
  t.update(udp(p, 2000, "10.0.0.2", 53, "10.0.0.1", 1000));
  t.events.length = 0;
  t.update(udp(p, 2001, "10.0.0.1", 9999, "10.0.0.2", 53));
  assert.equal(t.size, 1024);
  assert.equal(t.stats().evictions, 1);
  assert.deepEqual(t.events, ["end evicted @2001", "new 10.0.0.1:9999>10.0.0.2:53"]);
  // Flow 0 (port 1000) still there, flow 1 (port 1001) gone: a packet on it makes a new flow.
  t.events.length = 0;
  t.update(udp(p, 2002, "10.0.0.1", 1000, "10.0.0.2", 53));
  assert.deepEqual(t.events, []);
});

Deno.test("FlowTable keeps lookups right through many inserts and deletions (backward shift)", () => {
  const t = table({ max_flows: 2048, udp_new_timeout: 10, udp_established_timeout: 10 }),
    p = new Packet();
  const slots = new Map<number, number>();
  for (let round = 0; round < 20; round++) {
    const base = round * 100;
    for (let i = 0; i < 1500; i++) {
      const port = (i * 7919 + round) % 60000;
      const f = t.update(udp(p, base + i * 0.001, "10.1.0.1", port, "10.1.0.2", 53));
      if (i < 1500 && slots.get(port) !== undefined && round === 0) {
        assert.equal(slots.get(port), f);
      }
      if (round === 0) slots.set(port, f);
    }
    // Same keys again immediately: must hit the same flows, no creation.
    const before = t.stats().created;
    for (let i = 0; i < 1500; i++) {
      const port = (i * 7919 + round) % 60000;
      t.update(udp(p, base + 2, "10.1.0.2", 53, "10.1.0.1", port));
    }
    assert.equal(t.stats().created, before);
    t.tick(base + 50); // all expire
    assert.equal(t.size, 0);
  }
});

Deno.test("FlowTable does not track TCP/UDP packets whose transport header did not decode", () => {
  const t = table(), p = new Packet();
  tcp(p, 1, "10.0.0.1", 1000, "10.0.0.2", 80, "S");
  p.layers &= ~LayerBit.tcp; // as decodeFrame leaves a truncated TCP header
  assert.equal(t.update(p), -1);
  udp(p, 1, "10.0.0.1", 1000, "10.0.0.2", 53);
  p.layers &= ~LayerBit.udp;
  assert.equal(t.update(p), -1);
  assert.equal(t.size, 0);
  assert.equal(t.stats().untracked, 2);
  // Other protocols (GRE) are tracked by address pair and protocol.
  tcp(p, 1, "10.0.0.1", 0, "10.0.0.2", 0, "");
  p.layers &= ~LayerBit.tcp;
  p.ip.protocol = 47;
  assert.ok(t.update(p) >= 0);
  assert.deepEqual(t.events, ["new 10.0.0.1:0>10.0.0.2:0"]);
});

Deno.test("FlowTable finds every flow again after its hash index has grown", () => {
  const t = table({ max_flows: 50_000, udp_new_timeout: 10, udp_established_timeout: 10 }),
    p = new Packet();
  // 20,000 flows: the index starts at 4,096 entries and doubles to 65,536 on the way.
  const slots: number[] = [];
  for (let i = 0; i < 20_000; i++) {
    slots.push(t.update(udp(p, i * 0.0001, "10.2.0.1", 1024 + i, "10.3.0.1", 53)));
  }
  assert.equal(t.size, 20_000);
  for (let i = 0; i < 20_000; i++) {
    // The reply direction finds the same slot.
    assert.equal(t.update(udp(p, 3, "10.3.0.1", 53, "10.2.0.1", 1024 + i)), slots[i]);
  }
  assert.equal(t.stats().created, 20_000);
  t.tick(20);
  assert.equal(t.size, 0);
});

Deno.test("FlowTable.flush ends every flow once, forgets pending attempts, and the table is reusable", () => {
  const t = table({ max_flows: 8 }), p = new Packet();
  t.update(tcp(p, 1, "10.0.0.1", 40000, "10.0.0.2", 80, "S")); // TCP, attempt pending
  t.update(tcp(p, 1, "10.0.0.1", 40001, "10.0.0.2", 80, "S"));
  t.update(tcp(p, 1.1, "10.0.0.2", 80, "10.0.0.1", 40001, "SA")); // answered
  t.update(tcp(p, 1.2, "10.0.0.1", 40001, "10.0.0.2", 80, "A")); // established
  t.update(udp(p, 1.3, "10.0.0.1", 5353, "10.0.0.3", 53)); // UDP, pending
  t.update(icmp(p, 1.4, "10.0.0.1", "10.0.0.4", 8, 0, 7)); // echo request, pending
  t.update(tcp(p, 1.5, "2001:db8::1", 1, "2001:db8::2", 2, "R")); // closed on arrival
  assert.equal(t.size, 5);
  t.events = [];
  t.flush();
  assert.equal(t.size, 0);
  assert.equal(t.events.length, 5);
  assert.ok(t.events.every((e) => e === "end shutdown @1.5"), t.events.join(", "));
  // Pending attempts went with their flows: nothing is judged unanswered later.
  t.events = [];
  t.tick(100);
  assert.equal(t.events.length, 0, t.events.join(", "));
  // Every slot is free again and old keys are gone: the same 5-tuples make new flows.
  for (let i = 0; i < 8; i++) {
    t.update(tcp(p, 101, "10.0.0.1", 40000 + i, "10.0.0.2", 80, "S"));
  }
  assert.equal(t.size, 8);
  assert.equal(t.stats().evictions, 0);
  assert.equal(t.events.filter((e) => e.startsWith("new ")).length, 8);
  const f = t.update(tcp(p, 101.1, "10.0.0.2", 80, "10.0.0.1", 40003, "SA"));
  assert.equal(t.portI[f], 40003);
  assert.ok(t.events.includes("attempt answered @101.1"));
});

Deno.test("FlowTable's key hash is seeded per table: IPv6 sources chosen to cancel out do not collide", () => {
  type Hasher = {
    keyHash(f: number, p: number, a: Uint32Array, pa: number, b: Uint32Array, pb: number): number;
  };
  const hashOf = (t: FlowTable) => (t as unknown as Hasher).keyHash.bind(t);
  const dst = new Uint32Array([0x20010db8, 0, 0, 1]);
  // 64 sources whose words 0 and 1 cancel in a fixed linear mix (word 0 ^ word 1 × K constant),
  // as an attacker who reads the code could choose them for an unseeded hash.
  const sources = Array.from({ length: 64 }, (_, i) => {
    const w1 = 0x1000 + i;
    return new Uint32Array([(0x12345678 ^ Math.imul(w1, 0x27d4eb2f)) >>> 0, w1, 0, 7]);
  });
  const hash = hashOf(new FlowTable(defaultFlowConfig));
  const distinct = new Set(sources.map((s) => hash(6, 6, s, 40000, dst, 443)));
  assert.equal(distinct.size, 64);
  // The same key under two seeds: different hashes (so different homes in the index).
  const h1 = hashOf(new FlowTable(defaultFlowConfig, 1)),
    h2 = hashOf(new FlowTable(defaultFlowConfig, 2));
  const v4a = new Uint32Array([0x0a000001, 0, 0, 0]), v4b = new Uint32Array([0x0a000002, 0, 0, 0]);
  assert.notEqual(h1(4, 6, v4a, 40000, v4b, 80), h2(4, 6, v4a, 40000, v4b, 80));
  // Still symmetric: both directions of a flow hash alike.
  assert.equal(h1(4, 6, v4a, 40000, v4b, 80), h1(4, 6, v4b, 80, v4a, 40000));
});
