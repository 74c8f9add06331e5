import assert from "node:assert/strict";
import fc from "fast-check";
import v8 from "node:v8";
import { type Frame, LayerBit, Packet } from "../decode/packet.ts";
import { decodeIpPacket } from "../decode/ip.ts";
import { decodeFrame } from "../decode/frame.ts";
import { createTestNet, netnsUnavailable, run } from "../tests/netns.ts";
import { sectionDefaults } from "../config/spec.ts";
import { DATAGRAM_OVERHEAD_BYTES, Defragmenter, type DefragStats } from "./defrag.ts";
import { type DefragConfig, defragSection } from "./defrag_config.ts";

// Builders. All fixtures here are hand-built: an IPv4 or IPv6 datagram carrying a UDP or TCP
// header and a payload, cut into fragments the way a sender would.

const DEFAULTS = sectionDefaults(defragSection);

function config(over: Partial<Record<keyof DefragConfig, number | string>> = {}): DefragConfig {
  return { ...DEFAULTS, ...over } as DefragConfig;
}

function checksum(b: Uint8Array, start: number, len: number): number {
  let sum = 0;
  for (let i = 0; i < len; i += 2) sum += (b[start + i]! << 8) | b[start + i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function put16(b: Uint8Array, at: number, v: number): void {
  b[at] = v >> 8;
  b[at + 1] = v & 0xff;
}

/** A UDP header (checksum 0: none) followed by `data`. */
function udp(srcPort: number, dstPort: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + data.length);
  put16(out, 0, srcPort);
  put16(out, 2, dstPort);
  put16(out, 4, out.length);
  out.set(data, 8);
  return out;
}

/** A 20-byte TCP header with ACK|PSH followed by `data`. */
function tcp(srcPort: number, dstPort: number, seq: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(20 + data.length);
  put16(out, 0, srcPort);
  put16(out, 2, dstPort);
  new DataView(out.buffer).setUint32(4, seq);
  out[12] = 5 << 4;
  out[13] = 0x18;
  put16(out, 14, 64240);
  out.set(data, 20);
  return out;
}

/** Bytes 0, 1, 2, ... (mod 251, so that a misplaced 8-byte block shows). */
function pattern(n: number, seed = 0): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i + seed) % 251;
  return out;
}

interface V4Fields {
  src?: number;
  dst?: number;
  id?: number;
  protocol?: number;
  /** IPv4 options (length a multiple of 4). */
  options?: Uint8Array;
  df?: boolean;
}

// IPv4

/** An IPv4 header for `payloadLen` bytes at fragment `offset` (bytes), checksum set. */
function ipv4Header(f: V4Fields, payloadLen: number, offset: number, more: boolean): Uint8Array {
  const opts = f.options ?? new Uint8Array(0);
  const hl = 20 + opts.length;
  const h = new Uint8Array(hl);
  h[0] = 0x40 | (hl >> 2);
  put16(h, 2, hl + payloadLen);
  put16(h, 4, f.id ?? 0x1234);
  put16(h, 6, (f.df ? 0x4000 : 0) | (more ? 0x2000 : 0) | (offset >> 3));
  h[8] = 64;
  h[9] = f.protocol ?? 17;
  new DataView(h.buffer).setUint32(12, f.src ?? 0xc0000201); // 192.0.2.1
  new DataView(h.buffer).setUint32(16, f.dst ?? 0xc6336402); // 198.51.100.2
  h.set(opts, 20);
  put16(h, 10, checksum(h, 0, hl));
  return h;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A whole IPv4 datagram. */
function ipv4Datagram(f: V4Fields, payload: Uint8Array): Uint8Array {
  return concat(ipv4Header(f, payload.length, 0, false), payload);
}

/** One IPv4 fragment carrying `data` at `offset`. */
function ipv4Fragment(f: V4Fields, offset: number, more: boolean, data: Uint8Array): Uint8Array {
  return concat(ipv4Header(f, data.length, offset, more), data);
}

/** Cuts `payload` into IPv4 fragments of `size` bytes (a multiple of 8), in order. */
function ipv4Fragments(f: V4Fields, payload: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < payload.length; at += size) {
    const end = Math.min(at + size, payload.length);
    out.push(ipv4Fragment(f, at, end < payload.length, payload.subarray(at, end)));
  }
  return out;
}

// IPv6

interface V6Fields {
  src?: number[];
  dst?: number[];
  id?: number;
  /** Upper-layer protocol. */
  nextHeader?: number;
  /** Put a hop-by-hop options header (8 bytes, PadN) before the fragment header. */
  hopByHop?: boolean;
}

const V6_SRC = [0x20010db8, 0, 0, 1];
const V6_DST = [0x20010db8, 0, 0, 2];

/** IPv6 header + optional hop-by-hop, naming `next` after them; payload length set. */
function ipv6Unfragmentable(f: V6Fields, next: number, rest: number): Uint8Array {
  const hbh = f.hopByHop ? 8 : 0;
  const h = new Uint8Array(40 + hbh);
  const v = new DataView(h.buffer);
  v.setUint32(0, 0x60000000 | 0x12345);
  put16(h, 4, hbh + rest);
  h[7] = 64;
  (f.src ?? V6_SRC).forEach((w, i) => v.setUint32(8 + 4 * i, w));
  (f.dst ?? V6_DST).forEach((w, i) => v.setUint32(24 + 4 * i, w));
  if (f.hopByHop) {
    h[6] = 0;
    h[40] = next;
    h[41] = 0; // 8 bytes
    h[42] = 1; // PadN
    h[43] = 4;
  } else h[6] = next;
  return h;
}

function ipv6Datagram(f: V6Fields, payload: Uint8Array): Uint8Array {
  return concat(ipv6Unfragmentable(f, f.nextHeader ?? 17, payload.length), payload);
}

function ipv6Fragment(f: V6Fields, offset: number, more: boolean, data: Uint8Array): Uint8Array {
  const frag = new Uint8Array(8);
  frag[0] = f.nextHeader ?? 17;
  put16(frag, 2, offset | (more ? 1 : 0));
  new DataView(frag.buffer).setUint32(4, f.id ?? 0xabcdef01);
  return concat(ipv6Unfragmentable(f, 44, 8 + data.length), frag, data);
}

function ipv6Fragments(f: V6Fields, payload: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < payload.length; at += size) {
    const end = Math.min(at + size, payload.length);
    out.push(ipv6Fragment(f, at, end < payload.length, payload.subarray(at, end)));
  }
  return out;
}

// Driving the Defragmenter through the real decoder, as the flow stage will.

const framePkt = new Packet();

/**
 * Decodes `bytes` as a captured raw-IP frame (in a buffer that is then overwritten, as the
 * capture loop reuses its buffer) and pushes it.
 */
const frameBuf = new Uint8Array(70000);
function push(d: Defragmenter, bytes: Uint8Array, ts = 1000): Uint8Array | null {
  frameBuf.set(bytes, 0);
  decodeIpPacket(frameBuf, 0, bytes.length, framePkt);
  framePkt.ts = ts;
  const out = d.push(framePkt);
  frameBuf.fill(0xee, 0, bytes.length);
  return out;
}

/** Pushes all; returns every non-null result. */
function pushAll(d: Defragmenter, frags: Uint8Array[], ts = 1000): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const f of frags) {
    const r = push(d, f, ts);
    if (r !== null) out.push(r);
  }
  return out;
}

/** The stats with only the non-zero counters (gauges kept). */
function nonZero(s: DefragStats): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(s)) {
    if (v !== 0 || k === "defrag.in_progress" || k === "defrag.memory_bytes") out[k] = v;
  }
  return out;
}

const UDP_PAYLOAD = udp(40000, 53, pattern(1400));
const V4 = ipv4Datagram({}, UDP_PAYLOAD);
const V4_FRAGS = ipv4Fragments({}, UDP_PAYLOAD, 480); // 480 + 480 + 448
const TCP_PAYLOAD = tcp(443, 50000, 123456789, pattern(2000, 7));
const V6 = ipv6Datagram({ hopByHop: true, nextHeader: 6 }, TCP_PAYLOAD);
const V6_FRAGS = ipv6Fragments({ hopByHop: true, nextHeader: 6 }, TCP_PAYLOAD, 512);

// IPv4

Deno.test("Defragmenter.push() reassembles IPv4 fragments in order into the original datagram", () => {
  const d = new Defragmenter();
  assert.equal(V4_FRAGS.length, 3);
  assert.equal(push(d, V4_FRAGS[0]!), null);
  assert.equal(push(d, V4_FRAGS[1]!), null);
  const out = push(d, V4_FRAGS[2]!);
  assert.deepEqual(out, V4);
  assert.deepEqual(nonZero(d.stats()), {
    "defrag.fragments": 3,
    "defrag.completed": 1,
    "defrag.in_progress": 0,
    "defrag.memory_bytes": 0,
  });
});

Deno.test("Defragmenter.push() output decodes with decodeIpPacket() as a whole UDP datagram", () => {
  const d = new Defragmenter();
  const [out] = pushAll(d, V4_FRAGS);
  const pkt = new Packet();
  decodeIpPacket(out!, 0, out!.length, pkt);
  assert.equal(pkt.problem, null);
  assert.equal(pkt.layers & LayerBit.fragment, 0);
  assert.notEqual(pkt.layers & LayerBit.udp, 0);
  assert.equal(pkt.ip.totalLen, 20 + 8 + 1400);
  assert.equal(pkt.ip.moreFragments, false);
  assert.equal(pkt.ip.fragOffset, 0);
  assert.deepEqual(
    { src: pkt.udp.srcPort, dst: pkt.udp.dstPort, len: pkt.udp.length, payload: pkt.payloadLen },
    { src: 40000, dst: 53, len: 1408, payload: 1400 },
  );
});

Deno.test("Defragmenter.push() reassembles IPv4 fragments given in reverse and shuffled order", () => {
  const frags = ipv4Fragments({}, UDP_PAYLOAD, 64); // 23 fragments
  for (
    const order of [
      [...frags].reverse(),
      frags.map((f, i) => ({ f, k: (i * 7919) % 23 })).sort((a, b) => a.k - b.k).map((x) => x.f),
    ]
  ) {
    const d = new Defragmenter();
    const outs: (Uint8Array | null)[] = order.map((f) => push(d, f));
    assert.deepEqual(outs.slice(0, -1).filter((o) => o !== null), []);
    assert.deepEqual(outs.at(-1), V4);
  }
});

Deno.test("Defragmenter.push() keeps the first fragment's IPv4 options and recomputes the checksum", () => {
  const options = new Uint8Array([0x94, 0x04, 0x00, 0x00]); // router alert
  const f: V4Fields = { options, df: false, id: 77 };
  const frags = ipv4Fragments(f, UDP_PAYLOAD, 480);
  // Later fragments without the option, as routers send them (RA is not copied).
  const rest = ipv4Fragments({ id: 77 }, UDP_PAYLOAD, 480).slice(1);
  const d = new Defragmenter();
  const [out] = pushAll(d, [rest[1]!, frags[0]!, rest[0]!]);
  assert.deepEqual(out, ipv4Datagram(f, UDP_PAYLOAD));
  assert.equal(checksum(out!, 0, 24), 0);
});

Deno.test("Defragmenter.push() ignores duplicate fragments and counts them as overlaps", () => {
  const d = new Defragmenter();
  const outs = pushAll(d, [V4_FRAGS[0]!, V4_FRAGS[0]!, V4_FRAGS[1]!, V4_FRAGS[1]!, V4_FRAGS[2]!]);
  assert.deepEqual(outs, [V4]);
  const s = d.stats();
  assert.equal(s["defrag.overlap"], 2);
  assert.equal(s["defrag.overlap_conflict"], 0);
  assert.equal(s["defrag.completed"], 1);
});

Deno.test("Defragmenter.push() keeps datagrams with the same id but other addresses or protocol apart", () => {
  const d = new Defragmenter();
  const tcpPayload = tcp(1, 2, 3, pattern(100));
  const a = ipv4Fragments({ protocol: 6 }, tcpPayload, 64);
  const b = ipv4Fragments({ src: 0xc0000209 }, UDP_PAYLOAD, 480);
  const outs = pushAll(d, [a[0]!, ...V4_FRAGS.slice(0, 2), b[0]!, a[1]!, V4_FRAGS[2]!]);
  assert.deepEqual(outs, [ipv4Datagram({ protocol: 6 }, tcpPayload), V4]);
  assert.equal(d.inProgress, 1);
});

// IPv6

Deno.test("Defragmenter.push() reassembles IPv6 fragments: fragment header removed, next header and length fixed", () => {
  const d = new Defragmenter();
  assert.equal(V6_FRAGS.length, 4);
  const outs = pushAll(d, [V6_FRAGS[2]!, V6_FRAGS[0]!, V6_FRAGS[3]!, V6_FRAGS[1]!]);
  assert.deepEqual(outs, [V6]);
  const pkt = new Packet();
  decodeIpPacket(outs[0]!, 0, outs[0]!.length, pkt);
  assert.equal(pkt.problem, null);
  assert.equal(pkt.ip.version, 6);
  assert.equal(pkt.layers & LayerBit.fragment, 0);
  assert.notEqual(pkt.layers & LayerBit.tcp, 0);
  assert.deepEqual(
    { src: pkt.tcp.srcPort, dst: pkt.tcp.dstPort, seq: pkt.tcp.seq, payload: pkt.payloadLen },
    { src: 443, dst: 50000, seq: 123456789, payload: 2000 },
  );
});

Deno.test("Defragmenter.push() reassembles IPv6 fragments without extension headers", () => {
  const d = new Defragmenter();
  const payload = udp(5353, 5353, pattern(300));
  const frags = ipv6Fragments({ id: 9 }, payload, 96);
  const outs = pushAll(d, frags.reverse());
  assert.deepEqual(outs, [ipv6Datagram({}, payload)]);
});

Deno.test("Defragmenter.push() returns an IPv6 atomic fragment at once without its fragment header", () => {
  const d = new Defragmenter();
  const payload = udp(1, 2, pattern(20));
  assert.deepEqual(push(d, ipv6Fragment({}, 0, false, payload)), ipv6Datagram({}, payload));
  assert.equal(d.stats()["defrag.atomic"], 1);
  assert.equal(d.stats()["defrag.memory_bytes"], 0);
});

Deno.test("Defragmenter.push() returns a packet that is not a fragment unchanged", () => {
  const d = new Defragmenter();
  assert.deepEqual(push(d, V4), V4);
  assert.deepEqual(push(d, V6), V6);
  assert.equal(d.stats()["defrag.not_fragment"], 2);
  assert.equal(d.inProgress, 0);
});

// Overlaps

/** 24 bytes of 'A', then fragments at 8..24 of 'B' (the overlap) and 24..32 (the end). */
function overlapSet(second: Uint8Array, secondOffset: number) {
  const f: V4Fields = { protocol: 253, id: 4242 }; // 253: experimental, no header minimum
  return {
    first: ipv4Fragment(f, 0, true, new Uint8Array(24).fill(0x41)),
    second: ipv4Fragment(f, secondOffset, true, second),
    last: ipv4Fragment(f, 32, false, new Uint8Array(8).fill(0x43)),
    gap: ipv4Fragment(f, 24, true, new Uint8Array(8).fill(0x44)),
    datagram: (payload: Uint8Array) => ipv4Datagram(f, payload),
  };
}

Deno.test("Defragmenter.push() with policy linux ignores a conflicting fragment inside held bytes", () => {
  const d = new Defragmenter(config({ overlap_policy: "linux" }));
  const s = overlapSet(new Uint8Array(16).fill(0x42), 8);
  const outs = pushAll(d, [s.first, s.second, s.gap, s.last]);
  const want = new Uint8Array(40).fill(0x41);
  want.fill(0x44, 24, 32);
  want.fill(0x43, 32);
  assert.deepEqual(outs, [s.datagram(want)]);
  assert.equal(d.stats()["defrag.overlap"], 1);
  assert.equal(d.stats()["defrag.overlap_conflict"], 1);
  assert.equal(d.stats()["defrag.overlap_dropped"], 0);
});

Deno.test("Defragmenter.push() with policy linux discards a datagram on a partial overlap", () => {
  const d = new Defragmenter(config({ overlap_policy: "linux" }));
  // 16 bytes at 16: 8 overlap the first fragment (same bytes), 8 fill the gap.
  const s = overlapSet(new Uint8Array(16).fill(0x41), 16);
  assert.deepEqual(pushAll(d, [s.first, s.second, s.last]), []);
  assert.deepEqual(nonZero(d.stats()), {
    "defrag.fragments": 3,
    "defrag.overlap": 1,
    "defrag.overlap_dropped": 1,
    // The last fragment started a new datagram, as in Linux.
    "defrag.in_progress": 1,
    "defrag.memory_bytes": d.stats()["defrag.memory_bytes"],
  });
});

Deno.test("Defragmenter.push() with policy first keeps the earliest bytes and fills holes", () => {
  const d = new Defragmenter(config({ overlap_policy: "first" }));
  // 'B' at 16..32 overlaps 'A' at 16..24 and fills 24..32.
  const s = overlapSet(new Uint8Array(16).fill(0x42), 16);
  const outs = pushAll(d, [s.last, s.second, s.first]);
  const want = new Uint8Array(40).fill(0x42);
  want.fill(0x41, 0, 24);
  want.fill(0x43, 32);
  // The second fragment arrived first, so its bytes at 16..24 win over the first's.
  want.fill(0x42, 16, 24);
  assert.deepEqual(outs, [s.datagram(want)]);
  assert.equal(d.stats()["defrag.overlap_conflict"], 1);
});

Deno.test("Defragmenter.push() with policy first splits a fragment spanning held bytes into holes", () => {
  const d = new Defragmenter(config({ overlap_policy: "first" }));
  const f: V4Fields = { protocol: 253, id: 5 };
  const pieces = [
    ipv4Fragment(f, 8, true, new Uint8Array(8).fill(1)),
    ipv4Fragment(f, 24, true, new Uint8Array(8).fill(2)),
    ipv4Fragment(f, 0, true, new Uint8Array(40).fill(9)), // spans everything before 40
    ipv4Fragment(f, 40, false, new Uint8Array(4).fill(3)),
  ];
  const want = new Uint8Array(44).fill(9);
  want.fill(1, 8, 16);
  want.fill(2, 24, 32);
  want.fill(3, 40);
  assert.deepEqual(pushAll(d, pieces.slice(0, 3)), []);
  // The pieces stay sorted after the split: a later conflicting copy of 8..16 is found.
  assert.equal(push(d, ipv4Fragment(f, 8, true, new Uint8Array(8).fill(7))), null);
  assert.equal(d.stats()["defrag.overlap"], 2);
  assert.equal(d.stats()["defrag.overlap_conflict"], 2);
  assert.deepEqual(push(d, pieces[3]!), ipv4Datagram(f, want));
});

Deno.test("Defragmenter.push() with policy drop_conflict discards on differing bytes only", () => {
  const same = overlapSet(new Uint8Array(16).fill(0x41), 16);
  const d1 = new Defragmenter(config({ overlap_policy: "drop_conflict" }));
  assert.equal(pushAll(d1, [same.first, same.second, same.last]).length, 1);
  assert.equal(d1.stats()["defrag.overlap_dropped"], 0);

  const differ = overlapSet(new Uint8Array(16).fill(0x42), 16);
  const d2 = new Defragmenter(config({ overlap_policy: "drop_conflict" }));
  assert.deepEqual(pushAll(d2, [differ.first, differ.second, differ.last]), []);
  assert.equal(d2.stats()["defrag.overlap_conflict"], 1);
  assert.equal(d2.stats()["defrag.overlap_dropped"], 1);
});

Deno.test("Defragmenter.push() discards a teardrop fragment set under every policy", () => {
  // Teardrop (1997): the last fragment starts inside the first and ends before its end.
  for (const policy of ["linux", "first", "drop_conflict"]) {
    const f: V4Fields = { protocol: 17, id: 0x0242 };
    const d = new Defragmenter(config({ overlap_policy: policy }));
    const frags = [
      ipv4Fragment(f, 0, true, new Uint8Array(40).fill(1)),
      ipv4Fragment(f, 24, false, new Uint8Array(4).fill(2)),
    ];
    assert.deepEqual(pushAll(d, frags), [], policy);
    assert.equal(d.stats()["defrag.inconsistent_length"], 1, policy);
  }
});

// Ends, lengths and sizes

Deno.test("Defragmenter.push() waits while the last fragment is missing and expire() drops it", () => {
  const d = new Defragmenter(config({ timeout: 60 }));
  assert.deepEqual(pushAll(d, V4_FRAGS.slice(0, 2), 100), []);
  assert.equal(d.inProgress, 1);
  assert.ok(d.stats()["defrag.memory_bytes"] > 960);
  d.expire(159.9);
  assert.equal(d.inProgress, 1);
  d.expire(160);
  assert.deepEqual(nonZero(d.stats()), {
    "defrag.fragments": 2,
    "defrag.timeout": 1,
    "defrag.in_progress": 0,
    "defrag.memory_bytes": 0,
  });
  // The last fragment alone now starts a new datagram that never completes.
  assert.equal(push(d, V4_FRAGS[2]!, 161), null);
});

Deno.test("Defragmenter.push() expires a datagram whose fragments arrive further apart than the timeout", () => {
  const d = new Defragmenter(config({ timeout: 30 }));
  assert.equal(push(d, V4_FRAGS[0]!, 10), null);
  assert.equal(push(d, V4_FRAGS[1]!, 20), null);
  assert.equal(push(d, V4_FRAGS[2]!, 40.5), null); // 30.5 s after the first
  assert.equal(d.stats()["defrag.timeout"], 1);
  // Out-of-order timestamps: a datagram behind a younger one in creation order still expires.
  const e = new Defragmenter(config({ timeout: 30 }));
  push(e, ipv4Fragment({ id: 1 }, 0, true, pattern(8)), 50);
  push(e, ipv4Fragment({ id: 2 }, 0, true, pattern(8)), 10);
  e.expire(45);
  assert.equal(e.inProgress, 2);
  assert.equal(push(e, ipv4Fragment({ id: 2 }, 8, false, pattern(8)), 45), null);
  assert.equal(e.stats()["defrag.timeout"], 1);
});

Deno.test("Defragmenter.push() discards a datagram whose fragments disagree on its end", () => {
  const f: V4Fields = { id: 6 };
  const d = new Defragmenter();
  // Two last fragments with different ends.
  pushAll(d, [ipv4Fragment(f, 0, true, pattern(16)), ipv4Fragment(f, 32, false, pattern(8))]);
  assert.equal(push(d, ipv4Fragment(f, 16, false, pattern(8))), null);
  assert.equal(d.inProgress, 0);
  // Data beyond a known end.
  pushAll(d, [ipv4Fragment(f, 16, false, pattern(8)), ipv4Fragment(f, 24, true, pattern(8))]);
  assert.equal(d.inProgress, 0);
  assert.equal(d.stats()["defrag.inconsistent_length"], 2);
});

Deno.test("Defragmenter.push() drops a fragment with MF set and a length not a multiple of 8", () => {
  const d = new Defragmenter();
  assert.equal(push(d, ipv4Fragment({}, 0, true, pattern(12))), null);
  assert.equal(push(d, ipv6Fragment({}, 8, true, pattern(20))), null);
  assert.equal(push(d, ipv4Fragment({}, 8, true, new Uint8Array(0))), null);
  assert.equal(d.stats()["defrag.invalid_length"], 3);
  assert.equal(d.inProgress, 0);
});

Deno.test("Defragmenter.push() discards datagrams longer than the IP length field allows", () => {
  const d = new Defragmenter();
  // Ping of death: a last fragment at offset 65512 with 16 bytes, 20 + 65528 > 65535.
  pushAll(d, [ipv4Fragment({ protocol: 1 }, 0, true, pattern(16))]);
  assert.equal(push(d, ipv4Fragment({ protocol: 1 }, 65512, false, pattern(16))), null);
  assert.equal(d.inProgress, 0);
  // IPv6: fragmentable part ending past 65535 with 8 bytes of hop-by-hop.
  assert.equal(push(d, ipv6Fragment({ hopByHop: true }, 65520, false, pattern(16))), null);
  assert.equal(d.stats()["defrag.too_large"], 2);
  // The largest legal IPv4 datagram is fine: 20 + 65515 bytes.
  const big = pattern(65515);
  const e = new Defragmenter();
  const outs = pushAll(e, ipv4Fragments({ protocol: 253 }, big, 1480));
  assert.equal(outs.length, 1);
  assert.equal(outs[0]!.length, 65535);
});

Deno.test("Defragmenter.push() checks the length again with the first fragment's longer header", () => {
  // Later fragments have 20-byte headers (20 + 65512 fits); the first has 20 bytes of NOP
  // options, and 40 + 65512 does not.
  const frags = ipv4Fragments({ protocol: 253 }, pattern(65512), 1480);
  const nops = new Uint8Array(20).fill(1);
  frags[0] = ipv4Fragment({ protocol: 253, options: nops }, 0, true, pattern(1480));
  const d = new Defragmenter();
  assert.deepEqual(pushAll(d, frags), []);
  assert.equal(d.stats()["defrag.too_large"], 1);
  assert.equal(d.inProgress, 0);
});

Deno.test("Defragmenter.push() counts a first fragment too short for the TCP header", () => {
  const d = new Defragmenter();
  const f: V4Fields = { protocol: 6, id: 31 };
  const seg = tcp(1, 2, 3, pattern(8));
  const outs = pushAll(d, [
    ipv4Fragment(f, 0, true, seg.subarray(0, 8)),
    ipv4Fragment(f, 8, false, seg.subarray(8)),
  ]);
  assert.deepEqual(outs, [ipv4Datagram(f, seg)]); // still reassembled, as the host would
  assert.equal(d.stats()["defrag.tiny_first"], 1);
  pushAll(d, ipv4Fragments({ protocol: 6, id: 32 }, seg, 24));
  assert.equal(d.stats()["defrag.tiny_first"], 1);
});

Deno.test("Defragmenter.push() drops IPv4 fragments with a wrong checksum or not captured whole", () => {
  const d = new Defragmenter();
  const bad = V4_FRAGS[0]!.slice();
  bad[10]! ^= 1;
  assert.equal(push(d, bad), null);
  // Snap length cut the fragment: 100 of 500 bytes captured.
  frameBuf.set(V4_FRAGS[1]!, 0);
  decodeIpPacket(frameBuf, 0, 100, framePkt);
  assert.equal(d.push(framePkt), null);
  assert.deepEqual(nonZero(d.stats()), {
    "defrag.fragments": 2,
    "defrag.bad_checksum": 1,
    "defrag.malformed": 1,
    "defrag.in_progress": 0,
    "defrag.memory_bytes": 0,
  });
});

// Limits

Deno.test("Defragmenter.push() discards a datagram with more than max_fragments fragments", () => {
  const d = new Defragmenter(config({ max_fragments: 11 }));
  const frags = ipv4Fragments({ protocol: 253 }, pattern(96), 8); // 12 fragments
  assert.deepEqual(pushAll(d, frags), []);
  assert.equal(d.stats()["defrag.too_many_fragments"], 1);
  const e = new Defragmenter(config({ max_fragments: 12 }));
  assert.equal(pushAll(e, frags).length, 1);
});

Deno.test("Defragmenter.push() evicts the oldest datagram beyond max_datagrams", () => {
  const d = new Defragmenter(config({ max_datagrams: 2 }));
  const sets = [1, 2, 3].map((id) => ipv4Fragments({ id }, UDP_PAYLOAD, 704));
  push(d, sets[0]![0]!, 1);
  push(d, sets[1]![0]!, 2);
  push(d, sets[2]![0]!, 3); // evicts id 1
  assert.equal(d.stats()["defrag.evicted"], 1);
  assert.equal(push(d, sets[0]![1]!, 4), null); // evicts id 2, starts id 1 afresh
  assert.equal(push(d, sets[2]![1]!, 5)?.length, 1428);
  assert.equal(d.stats()["defrag.evicted"], 2);
});

Deno.test("Defragmenter.push() evicts the oldest datagrams beyond memory_cap", () => {
  const d = new Defragmenter(config({ memory_cap: 1048576 }));
  // Each datagram holds a 1400-byte first fragment: 1024 + 20 + 256 + 1400 + 256 = 2956
  // bytes charged, so 354 fit in 1 MiB.
  for (let id = 0; id < 1000; id++) push(d, ipv4Fragment({ id }, 0, true, pattern(1400)), 1);
  const s = d.stats();
  assert.ok(s["defrag.memory_bytes"] <= 1048576, `${s["defrag.memory_bytes"]}`);
  assert.equal(s["defrag.in_progress"], 354);
  assert.equal(s["defrag.evicted"], 646);
  // The newest are kept, the oldest gone.
  assert.equal(push(d, ipv4Fragment({ id: 999 }, 1400, false, pattern(8)), 2)?.length, 1428);
  assert.equal(push(d, ipv4Fragment({ id: 0 }, 1400, false, pattern(8)), 2), null);
});

Deno.test("Defragmenter.push() completes a datagram at the memory cap instead of evicting it", () => {
  const d = new Defragmenter(config({ memory_cap: 1048576 }));
  const big = ipv4Fragments({ id: 1, protocol: 253 }, pattern(20000), 1480);
  pushAll(d, big.slice(0, -1));
  // Younger one-fragment datagrams (1564 bytes charged each) up to just below the cap.
  let id = 2;
  while (d.stats()["defrag.memory_bytes"] + 1564 <= 1048576) {
    push(d, ipv4Fragment({ id: id++, protocol: 253 }, 0, true, pattern(8)));
  }
  assert.equal(d.stats()["defrag.evicted"], 0);
  // The last fragment (720 bytes + 256 charged) would overflow the cap, but it completes the
  // oldest datagram, which gives its memory back instead of being evicted.
  assert.equal(push(d, big.at(-1)!)?.length, 20020);
  assert.equal(d.stats()["defrag.evicted"], 0);
  // Fragments that complete nothing do evict the oldest.
  pushAll(d, big.slice(0, -1));
  assert.equal(d.stats()["defrag.evicted"], 0);
  push(d, ipv4Fragment({ id: id, protocol: 253 }, 0, true, pattern(1480)));
  // 3036 bytes charged for it: the two oldest one-fragment datagrams go.
  assert.equal(d.stats()["defrag.evicted"], 2);
  assert.ok(d.stats()["defrag.memory_bytes"] <= 1048576);
});

Deno.test("Defragmenter rejects an unknown overlap policy", () => {
  assert.throws(() => new Defragmenter(config({ overlap_policy: "last" })), RangeError);
});

// Properties

/** Cuts `len` bytes into fragments of random multiples of 8. */
const cutsArb = (len: number) =>
  fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 40 }).map((sizes) => {
    const cuts: [number, number][] = [];
    let at = 0;
    for (const s of sizes) {
      if (at >= len) break;
      const end = Math.min(at + s * 8, len);
      cuts.push([at, end]);
      at = end;
    }
    if (at < len) cuts.push([at, len]);
    return cuts;
  });

const datagramArb = fc.record({
  version: fc.constantFrom(4, 6),
  len: fc.integer({ min: 1, max: 3000 }),
  seed: fc.nat(250),
  hopByHop: fc.boolean(),
}).chain((g) =>
  fc.record({
    g: fc.constant(g),
    cuts: cutsArb(g.len),
    order: fc.array(fc.nat(), { minLength: 64, maxLength: 64 }),
    dups: fc.array(fc.nat(), { maxLength: 5 }),
  })
);

Deno.test("Defragmenter.push() reassembles any permutation of a fragment set, with duplicates, to the original", () => {
  fc.assert(
    fc.property(datagramArb, ({ g, cuts, order, dups }) => {
      const payload = pattern(g.len, g.seed);
      const v6: V6Fields = { hopByHop: g.hopByHop, nextHeader: 253 };
      const frags = cuts.map(([s, e]) =>
        g.version === 4
          ? ipv4Fragment({ protocol: 253 }, s, e < g.len, payload.subarray(s, e))
          : ipv6Fragment(v6, s, e < g.len, payload.subarray(s, e))
      );
      // A single fragment (offset 0, no MF) is a whole datagram and must come back as one.
      const list = frags.map((f, i) => ({ f, k: order[i % 64]! * 64 + i }));
      for (const dup of dups) list.push({ f: frags[dup % frags.length]!, k: order[dup % 64]! });
      list.sort((a, b) => a.k - b.k);
      // Duplicates of fragments pushed after completion start a new datagram: push up to
      // completion and check the rest are exactly those.
      const d = new Defragmenter();
      let out: Uint8Array | null = null;
      let i = 0;
      for (; i < list.length && out === null; i++) out = push(d, list[i]!.f);
      const want = g.version === 4
        ? ipv4Datagram({ protocol: 253 }, payload)
        : ipv6Datagram(v6, payload);
      assert.deepEqual(out, want);
      assert.equal(d.stats()["defrag.memory_bytes"], 0);
      assert.equal(d.stats()["defrag.overlap_conflict"], 0);
    }),
    { numRuns: 300 },
  );
});

/** A fragment with random fields from a small id space, so that they meet in datagrams. */
const fragmentArb = fc.record({
  version: fc.constantFrom(4, 6),
  id: fc.integer({ min: 0, max: 3 }),
  offset: fc.oneof(fc.integer({ min: 0, max: 64 }).map((n) => n * 8), fc.constant(65528)),
  more: fc.boolean(),
  len: fc.oneof(fc.integer({ min: 0, max: 80 }), fc.constant(1480)),
  fill: fc.nat(255),
  hopByHop: fc.boolean(),
  protocol: fc.constantFrom(6, 17, 253),
  ts: fc.integer({ min: 0, max: 200 }),
});

Deno.test("Defragmenter.push() never throws on random fragments and keeps its accounting straight", () => {
  fc.assert(
    fc.property(
      fc.array(fragmentArb, { maxLength: 60 }),
      fc.constantFrom("linux", "first", "drop_conflict"),
      (frags, policy) => {
        const d = new Defragmenter(
          config({ overlap_policy: policy, max_datagrams: 4, max_fragments: 20 }),
        );
        for (const f of [...frags].sort((a, b) => a.ts - b.ts)) {
          const data = new Uint8Array(f.len).fill(f.fill);
          const bytes = f.version === 4
            ? ipv4Fragment({ id: f.id, protocol: f.protocol }, f.offset, f.more, data)
            : ipv6Fragment(
              { id: f.id, nextHeader: f.protocol, hopByHop: f.hopByHop },
              f.offset,
              f.more,
              data,
            );
          const out = push(d, bytes, f.ts);
          if (out !== null) {
            const pkt = new Packet();
            decodeIpPacket(out, 0, out.length, pkt);
            assert.equal(pkt.layers & LayerBit.fragment, 0);
            assert.ok(out.length <= (f.version === 4 ? 65535 : 65575));
            if (pkt.problem !== null) assert.notEqual(pkt.problem.layer.slice(0, 2), "ip");
          }
          const s = d.stats();
          assert.ok(s["defrag.in_progress"] <= 4);
          assert.ok(s["defrag.memory_bytes"] >= s["defrag.in_progress"] * DATAGRAM_OVERHEAD_BYTES);
        }
        d.expire(1e9);
        assert.equal(d.stats()["defrag.in_progress"], 0);
        assert.equal(d.stats()["defrag.memory_bytes"], 0);
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("Defragmenter.pushIp() never throws on random bytes", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 120 }),
      fc.constantFrom(0x45, 0x46, 0x4f, 0x60, 0x00),
      fc.integer({ min: -2, max: 130 }),
      fc.integer({ min: -2, max: 130 }),
      (bytes, first, start, end) => {
        if (bytes.length > 0) bytes[0] = first;
        const d = new Defragmenter();
        d.pushIp(bytes, start, end, 0);
        d.pushIp(bytes, 0, bytes.length, 0);
        // Through the decoder too, when it recognises a fragment.
        decodeIpPacket(bytes, 0, bytes.length, framePkt);
        if ((framePkt.layers & LayerBit.fragment) !== 0) d.push(framePkt);
        d.expire(1e9);
        assert.equal(d.stats()["defrag.memory_bytes"], 0);
      },
    ),
    { numRuns: 2000 },
  );
});

// Memory

/**
 * Heap bytes per datagram in progress, measured over `n` datagrams of `pieces` 8-byte IPv4
 * fragments each (the last missing), with what the Defragmenter charged for them. Needs
 * `--v8-flags=--expose-gc`, so the test below runs it in a child process.
 */
function measureBytesPerDatagram(n: number, pieces: number) {
  const gc = (globalThis as { gc?: () => void }).gc!;
  const frags: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const f: V4Fields = { id: i & 0xffff, src: 0x0a000000 + (i >> 16), protocol: 253 };
    for (let k = 0; k < pieces; k++) frags.push(ipv4Fragment(f, k * 8, true, pattern(8)));
  }
  const d = new Defragmenter(config({ max_datagrams: n, memory_cap: 2 ** 32 }));
  gc();
  // Typed array contents live outside the V8 heap ("external" memory).
  const used = () => {
    gc();
    gc();
    const h = v8.getHeapStatistics();
    return h.used_heap_size + h.external_memory;
  };
  const before = used();
  for (const f of frags) d.pushIp(f, 0, f.length, 1);
  gc();
  const after = used();
  assert.equal(d.inProgress, n);
  assert.equal(frags.length, n * pieces); // keeps the input alive through the measurement
  return { measured: (after - before) / n, charged: d.stats()["defrag.memory_bytes"] / n };
}

if (import.meta.main) {
  console.log(JSON.stringify([1, 8, 64].map((pieces) => measureBytesPerDatagram(5000, pieces))));
}

Deno.test("Defragmenter charges at least the heap bytes a datagram in progress really uses", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--v8-flags=--expose-gc", import.meta.filename!],
    stdout: "piped",
  }).output();
  assert.ok(out.success);
  const results: { measured: number; charged: number }[] = JSON.parse(
    new TextDecoder().decode(out.stdout),
  );
  [1, 8, 64].forEach((pieces, i) => {
    const { measured, charged } = results[i]!;
    console.log(
      `${pieces} fragments of 8 bytes: ${measured.toFixed(0)} heap bytes per datagram, ` +
        `${charged} charged`,
    );
    assert.ok(measured > 100 * pieces, `${measured}`);
    assert.ok(charged >= measured, `${pieces} fragments: charged ${charged} < ${measured}`);
  });
});

// Real fragments: made by the Linux stack of a test namespace pair (tests/netns.ts, id 23)
// with a 1280-byte MTU, captured by tcpdump, decoded by decodeFrame(), reassembled here.

const NET_ID = 23;
const netSkip = await netnsUnavailable();
const tcpdumpMissing = netSkip === null && (await run(["tcpdump", "--version"]).catch(() => null))
      ?.code !== 0;

/** The frames of a classic pcap file (either byte order), each copied into one reused buffer. */
function* pcapFrames(file: Uint8Array): Generator<Frame> {
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const le = v.getUint32(0, true) === 0xa1b2c3d4;
  const linkType = v.getUint32(20, le);
  const buf = new Uint8Array(262144);
  for (let at = 24; at + 16 <= file.length;) {
    const caplen = v.getUint32(at + 8, le);
    if (at + 16 + caplen > file.length) return; // still being written
    buf.set(file.subarray(at + 16, at + 16 + caplen));
    yield {
      buf,
      offset: 0,
      caplen,
      len: v.getUint32(at + 12, le),
      tsSec: v.getUint32(at, le),
      tsNsec: v.getUint32(at + 4, le) * 1000,
      linkType,
    };
    buf.fill(0xee); // the capture loop reuses its buffer: copies must not alias it
    at += 16 + caplen;
  }
}

/**
 * Pushes the fragments of a capture file through decodeFrame() and a fresh Defragmenter,
 * checks every reassembled datagram, and names them (`udp4 5028`, `icmp6 type 128 3048`).
 */
function reassembleCapture(file: Uint8Array, udpPayload: Uint8Array) {
  const d = new Defragmenter();
  const pkt = new Packet();
  const whole = new Packet();
  const seen: string[] = [];
  if (file.length < 24) return { seen, stats: d.stats() };
  for (const frame of pcapFrames(file)) {
    decodeFrame(frame, pkt);
    if ((pkt.layers & LayerBit.fragment) === 0) continue;
    const out = d.push(pkt);
    if (out === null) continue;
    decodeIpPacket(out, 0, out.length, whole);
    assert.equal(whole.problem, null);
    assert.equal(whole.layers & LayerBit.fragment, 0);
    const v = whole.ip.version;
    if ((whole.layers & LayerBit.udp) !== 0) {
      assert.deepEqual(out.subarray(whole.payloadOffset), udpPayload);
      seen.push(`udp${v} ${out.length}`);
    } else {
      // An ICMPv4 checksum over the reassembled message checks every byte.
      if (v === 4) assert.equal(checksum(out, 20, out.length - 20), 0);
      seen.push(`icmp${v} type ${whole.icmp.type} ${out.length}`);
    }
  }
  return { seen, stats: d.stats() };
}

Deno.test({
  name: "Defragmenter.push() reassembles IPv4 and IPv6 fragments made by the Linux stack",
  ignore: netSkip !== null || tcpdumpMissing,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const net = await createTestNet(NET_ID);
    const dir = await Deno.makeTempDir({ prefix: "pcap_ts_defrag_" });
    let dump: Deno.ChildProcess | null = null;
    let running = false;
    try {
      for (const [ns, ifc] of [[net.nsA, net.ifA], [net.nsB, net.ifB]] as const) {
        await net.must(ns, ["ip", "link", "set", ifc, "mtu", "1280"]);
      }
      const pcap = `${dir}/frags.pcap`;
      dump = net.spawn(net.nsB, [
        "tcpdump",
        "--immediate-mode",
        "-Z",
        "root",
        "-i",
        net.ifB,
        "-U",
        "-w",
        pcap,
        "ip or ip6",
      ]);
      running = true;
      dump.status.then(() => running = false);
      const err = dump.stderr.getReader();
      let said = "";
      while (!said.includes("listening on")) {
        const { value, done } = await err.read();
        if (done) break;
        said += new TextDecoder().decode(value);
      }
      assert.ok(said.includes("listening on"), said);
      const payload = pattern(5000, 3);
      await Deno.writeFile(`${dir}/payload`, payload);
      await net.must(net.nsA, ["ping", "-c", "1", "-s", "4000", net.ipB]);
      await net.must(net.nsA, ["ping", "-6", "-c", "1", "-s", "3000", net.ip6B]);
      for (const target of [net.ipB, net.ip6B]) {
        await net.must(net.nsA, [
          "bash",
          "-c",
          `cat ${dir}/payload > /dev/udp/${target}/9999`,
        ]);
      }
      // tcpdump writes what it captured a little later, in blocks: wait for all of it.
      let result = reassembleCapture(new Uint8Array(0), payload);
      for (let i = 0; i < 100 && result.seen.length < 6; i++) {
        await new Promise((ok) => setTimeout(ok, 100));
        result = reassembleCapture(await Deno.readFile(pcap), payload);
      }
      dump.kill("SIGINT");
      for (let r = await err.read(); !r.done; r = await err.read()) {
        said += new TextDecoder().decode(r.value);
      }
      await dump.stdout.cancel();
      await dump.status;
      const { seen, stats } = result;
      assert.deepEqual(seen.sort(), [
        "icmp4 type 0 4028",
        "icmp4 type 8 4028",
        "icmp6 type 128 3048",
        "icmp6 type 129 3048",
        "udp4 5028",
        "udp6 5048",
      ]);
      assert.equal(stats["defrag.in_progress"], 0, said);
    } finally {
      if (dump !== null && running) {
        dump.kill("SIGINT");
        await dump.status;
      }
      await net.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
