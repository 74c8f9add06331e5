/**
 * Property tests of every decoder (fast-check): random and mutated bytes never throw and keep
 * the Packet's invariants; encode-then-decode gives back the header.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  concat,
  decodeBytes,
  encodeArp,
  encodeEthernet,
  encodeIcmp,
  encodeIpv4,
  encodeIpv6,
  encodeIpv6Ext,
  encodeIpv6Fragment,
  encodeLoopback,
  encodePppoe,
  encodeSll,
  encodeSll2,
  encodeTcp,
  encodeUdp,
  hex,
} from "./_test_encode.ts";
import { packetToJson } from "./dump_json.ts";
import { packetToText } from "./dump_text.ts";
import { decodeFrame } from "./frame.ts";
import { decodeIpPacket } from "./ip.ts";
import { LayerBit, type Packet, Packet as PacketClass, problemName } from "./packet.ts";
import { tcpOptions } from "./tcp.ts";
import { ipv4Options } from "./ipv4.ts";

const LINK_TYPES = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 147];

/** Invariants every decoded packet keeps, whatever the input. */
function checkInvariants(pkt: Packet, bytes: Uint8Array): void {
  const end = bytes.length;
  assert.ok(pkt.payloadLen >= 0, `payloadLen ${pkt.payloadLen}`);
  assert.ok(pkt.payloadOffset >= 0 && pkt.payloadOffset + pkt.payloadLen <= end);
  if (pkt.l3Offset !== -1) assert.ok(pkt.l3Offset >= 0 && pkt.l3Offset <= end);
  if (pkt.l4Offset !== -1) assert.ok(pkt.l4Offset >= pkt.l3Offset && pkt.l4Offset <= end);
  if (pkt.problem !== null) assert.match(problemName(pkt.problem), /^[a-z0-9]+\.[a-z_]+$/);
  // Dumps of any decoded packet are total functions too.
  JSON.stringify(packetToJson(pkt));
  packetToText(pkt);
  tcpOptions(pkt);
  ipv4Options(pkt);
}

// Valid frames to mutate: one per link type and protocol (hand-built with the encoders).
const V6A = [0x20010db8, 0, 0, 1];
const V6B = [0x20010db8, 0, 0, 2];
const SEEDS: [number, Uint8Array][] = [
  [
    1,
    encodeEthernet(
      { type: 0x0800, tags: [{ tpid: 0x88a8, id: 5 }, { tpid: 0x8100, id: 6 }] },
      encodeIpv4(
        { protocol: 6, src: 1, dst: 2, options: hex("94040000") },
        encodeTcp({
          srcPort: 1,
          dstPort: 2,
          options: hex("020405b4010303070402080a0000000100000002"),
        }, hex("474554202f20485454502f312e310d0a")),
      ),
    ),
  ],
  [
    1,
    encodeEthernet(
      { type: 0x86dd },
      encodeIpv6(
        { nextHeader: 0, src: V6A, dst: V6B },
        concat(
          encodeIpv6Ext(44),
          encodeIpv6Fragment(17, 0, true, 3),
          encodeUdp({ srcPort: 53, dstPort: 53 }, hex("0000")),
        ),
      ),
    ),
  ],
  [
    1,
    encodeEthernet(
      { type: 0x0806 },
      encodeArp({
        op: 1,
        senderMac: hex("020000000001"),
        senderIp: 1,
        targetMac: hex("000000000000"),
        targetIp: 2,
      }),
    ),
  ],
  [
    1,
    encodeEthernet(
      { type: 0x0800 },
      encodeIpv4(
        { protocol: 1, src: 1, dst: 2 },
        encodeIcmp(
          { type: 3, code: 3 },
          encodeIpv4({ protocol: 17, src: 2, dst: 1 }, encodeUdp({ srcPort: 9, dstPort: 10 })),
        ),
      ),
    ),
  ],
  [
    1,
    encodeEthernet(
      { type: 0x86dd },
      encodeIpv6(
        { nextHeader: 58, src: V6A, dst: V6B },
        encodeIcmp(
          { type: 1 },
          encodeIpv6({ nextHeader: 6, src: V6B, dst: V6A }, encodeTcp({ srcPort: 1, dstPort: 2 })),
        ),
      ),
    ),
  ],
  [
    113,
    encodeSll(
      { packetType: 0, arphrdType: 1, addr: hex("020000000001"), protocol: 0x0800 },
      encodeIpv4({ protocol: 17, src: 1, dst: 2 }, encodeUdp({ srcPort: 1, dstPort: 2 })),
    ),
  ],
  [
    276,
    encodeSll2({
      packetType: 4,
      arphrdType: 1,
      addr: hex("020000000001"),
      protocol: 0x86dd,
      ifIndex: 3,
    }, encodeIpv6({ nextHeader: 6, src: V6A, dst: V6B }, encodeTcp({ srcPort: 1, dstPort: 2 }))),
  ],
  [
    0,
    encodeLoopback(
      2,
      true,
      encodeIpv4({ protocol: 6, src: 1, dst: 2 }, encodeTcp({ srcPort: 1, dstPort: 2 })),
    ),
  ],
  [
    108,
    encodeLoopback(
      30,
      false,
      encodeIpv6({ nextHeader: 17, src: V6A, dst: V6B }, encodeUdp({ srcPort: 1, dstPort: 2 })),
    ),
  ],
  [
    101,
    encodeIpv4({ protocol: 6, src: 1, dst: 2, mf: true }, encodeTcp({ srcPort: 1, dstPort: 2 })),
  ],
  [
    1,
    encodeEthernet(
      { type: 0x8864 },
      encodePppoe(
        { sessionId: 7, pppProtocol: 0x21, compressed: true },
        encodeIpv4({ protocol: 17, src: 1, dst: 2 }, encodeUdp({ srcPort: 1, dstPort: 2 })),
      ),
    ),
  ],
];

Deno.test("decodeFrame() never throws on random bytes, for every link type", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...LINK_TYPES),
      fc.uint8Array({ maxLength: 120 }),
      (link, bytes) => checkInvariants(decodeBytes(bytes, link), bytes),
    ),
    { numRuns: 2000 },
  );
});

Deno.test("decodeFrame() never throws on mutated and cut valid frames", () => {
  fc.assert(
    fc.property(
      fc.nat(SEEDS.length - 1),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
      fc.nat(),
      (i, edits, cut) => {
        const [link, seed] = SEEDS[i]!;
        const bytes = seed.slice(0, seed.length - (cut % (seed.length + 1)));
        for (const [at, v] of edits) if (bytes.length > 0) bytes[at % bytes.length] = v;
        checkInvariants(decodeBytes(bytes, link), bytes);
      },
    ),
    { numRuns: 3000 },
  );
});

Deno.test("decodeFrame() decodes every unmutated seed frame without a problem", () => {
  for (const [link, seed] of SEEDS) {
    const pkt = decodeBytes(seed, link);
    assert.equal(pkt.problem, null, `link ${link}: ${packetToText(pkt)}`);
    assert.ok((pkt.layers & (LayerBit.arp | LayerBit.ipv4 | LayerBit.ipv6)) !== 0);
  }
});

Deno.test("decodeIpPacket() never throws on random bytes or odd bounds", () => {
  const pkt = new PacketClass();
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 100 }),
      fc.integer({ min: -5, max: 120 }),
      fc.integer({ min: -5, max: 120 }),
      (bytes, start, end) => {
        decodeIpPacket(bytes, start, end, pkt);
        assert.ok(pkt.payloadLen >= 0);
        assert.ok(pkt.payloadOffset + pkt.payloadLen <= bytes.length);
      },
    ),
    { numRuns: 1000 },
  );
});

const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const mac = fc.uint8Array({ minLength: 6, maxLength: 6 });

Deno.test("decodeEthernet() gives back encoded MACs, EtherType and VLAN tags", () => {
  fc.assert(
    fc.property(
      mac,
      mac,
      fc.array(
        fc.record({
          tpid: fc.constantFrom(0x8100, 0x88a8, 0x9100),
          id: fc.integer({ min: 0, max: 4095 }),
          pcp: fc.integer({ min: 0, max: 7 }),
        }),
        { maxLength: 4 },
      ),
      u16.filter((t) =>
        t !== 0x8100 && t !== 0x88a8 && t !== 0x9100 && t !== 0x0800 && t !== 0x86dd && t !== 0x0806
      ),
      (dst, src, tags, type) => {
        const pkt = decodeBytes(encodeEthernet({ dst, src, type, tags }, new Uint8Array(10)), 1);
        assert.equal(pkt.problem, null);
        assert.deepStrictEqual(pkt.buf.slice(pkt.eth.dstOffset, pkt.eth.dstOffset + 6), dst);
        assert.deepStrictEqual(pkt.buf.slice(pkt.eth.srcOffset, pkt.eth.srcOffset + 6), src);
        assert.equal(pkt.eth.etherType, type);
        assert.equal(pkt.vlan.count, tags.length);
        tags.forEach((t, i) => {
          assert.deepStrictEqual([pkt.vlan.tpids[i], pkt.vlan.ids[i], pkt.vlan.pcp[i]], [
            t.tpid,
            t.id,
            t.pcp,
          ]);
        });
        assert.equal(pkt.payloadLen, 10);
      },
    ),
  );
});

Deno.test("decodeIpv4() gives back every encoded header field", () => {
  fc.assert(
    fc.property(
      fc.record({
        tos: fc.integer({ min: 0, max: 255 }),
        id: u16,
        df: fc.boolean(),
        mf: fc.boolean(),
        fragOffset: fc.integer({ min: 0, max: 0x1fff }).map((x) => x * 8),
        ttl: fc.integer({ min: 0, max: 255 }),
        protocol: fc.integer({ min: 0, max: 255 }),
        checksum: u16,
        src: u32,
        dst: u32,
      }),
      fc.integer({ min: 0, max: 10 }),
      fc.uint8Array({ maxLength: 64 }),
      (f, nops, payload) => {
        const options = new Uint8Array(nops * 4).fill(1);
        const pkt = decodeBytes(encodeIpv4({ ...f, options }, payload), 228);
        const ip = pkt.ip;
        assert.deepStrictEqual(
          [
            ip.version,
            ip.tos,
            ip.id,
            ip.dontFragment,
            ip.moreFragments,
            ip.fragOffset,
            ip.ttl,
            ip.protocol,
            ip.checksum,
            ip.src[0],
            ip.dst[0],
            ip.headerLen,
            ip.totalLen,
            ip.optionsLen,
          ],
          [
            4,
            f.tos,
            f.id,
            f.df,
            f.mf,
            f.fragOffset,
            f.ttl,
            f.protocol,
            f.checksum,
            f.src,
            f.dst,
            20 + nops * 4,
            20 + nops * 4 + payload.length,
            nops * 4,
          ],
        );
        assert.equal((pkt.layers & LayerBit.fragment) !== 0, f.mf || f.fragOffset > 0);
      },
    ),
  );
});

Deno.test("decodeIpv6() gives back every encoded header field and the extension chain", () => {
  const words = fc.array(u32, { minLength: 4, maxLength: 4 });
  fc.assert(
    fc.property(
      fc.record({
        tc: fc.integer({ min: 0, max: 255 }),
        flowLabel: fc.integer({ min: 0, max: 0xfffff }),
        hopLimit: fc.integer({ min: 0, max: 255 }),
        src: words,
        dst: words,
      }),
      fc.array(fc.constantFrom(0, 43, 60), { maxLength: 6 }),
      fc.uint8Array({ maxLength: 32 }),
      (f, exts, payload) => {
        const headers: Uint8Array[] = [];
        exts.forEach((_, i) => headers.push(encodeIpv6Ext(exts[i + 1] ?? 59)));
        const pkt = decodeBytes(
          encodeIpv6({ ...f, nextHeader: exts[0] ?? 59 }, concat(...headers, payload)),
          229,
        );
        const ip = pkt.ip;
        assert.equal(pkt.problem, null);
        assert.deepStrictEqual(
          [
            ip.version,
            ip.tos,
            ip.flowLabel,
            ip.ttl,
            Array.from(ip.src),
            Array.from(ip.dst),
            ip.protocol,
            ip.headerLen,
          ],
          [6, f.tc, f.flowLabel, f.hopLimit, f.src, f.dst, 59, 40 + 8 * exts.length],
        );
        assert.deepStrictEqual(Array.from(ip.extTypes.subarray(0, ip.extCount)), exts);
        assert.equal(pkt.payloadLen, payload.length);
      },
    ),
  );
});

Deno.test("decodeIpv6() gives back an encoded fragment header", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0x1fff }), fc.boolean(), u32, (off, more, id) => {
      const pkt = decodeBytes(
        encodeIpv6(
          { nextHeader: 44, src: V6A, dst: V6B },
          concat(encodeIpv6Fragment(59, off * 8, more, id), new Uint8Array(8)),
        ),
        229,
      );
      assert.deepStrictEqual([pkt.ip.fragOffset, pkt.ip.moreFragments, pkt.ip.id], [
        off * 8,
        more,
        id,
      ]);
      assert.equal((pkt.layers & LayerBit.fragment) !== 0, more || off > 0);
    }),
  );
});

Deno.test("decodeTcp() gives back every encoded header field", () => {
  fc.assert(
    fc.property(
      fc.record({
        srcPort: u16,
        dstPort: u16,
        seq: u32,
        ack: u32,
        flags: fc.integer({ min: 0, max: 255 }),
        window: u16,
        checksum: u16,
        urgent: u16,
      }),
      fc.integer({ min: 0, max: 10 }),
      fc.uint8Array({ maxLength: 40 }),
      (f, optWords, payload) => {
        const options = new Uint8Array(optWords * 4).fill(1);
        const ip = encodeIpv4(
          { protocol: 6, src: 1, dst: 2 },
          encodeTcp({ ...f, options }, payload),
        );
        const pkt = decodeBytes(ip, 228);
        const t = pkt.tcp;
        assert.equal(pkt.problem, null);
        assert.deepStrictEqual(
          [
            t.srcPort,
            t.dstPort,
            t.seq,
            t.ack,
            t.flags,
            t.window,
            t.checksum,
            t.urgent,
            t.headerLen,
          ],
          [
            f.srcPort,
            f.dstPort,
            f.seq,
            f.ack,
            f.flags,
            f.window,
            f.checksum,
            f.urgent,
            20 + optWords * 4,
          ],
        );
        assert.equal(tcpOptions(pkt).length, optWords * 4);
        assert.equal(pkt.payloadLen, payload.length);
      },
    ),
  );
});

Deno.test("decodeUdp(), decodeIcmpv4() and decodeIcmpv6() give back encoded fields", () => {
  fc.assert(
    fc.property(u16, u16, u16, fc.uint8Array({ maxLength: 40 }), (sp, dp, ck, payload) => {
      const pkt = decodeBytes(
        encodeIpv4(
          { protocol: 17, src: 1, dst: 2 },
          encodeUdp({ srcPort: sp, dstPort: dp, checksum: ck }, payload),
        ),
        228,
      );
      assert.deepStrictEqual([
        pkt.udp.srcPort,
        pkt.udp.dstPort,
        pkt.udp.length,
        pkt.udp.checksum,
        pkt.payloadLen,
      ], [sp, dp, 8 + payload.length, ck, payload.length]);
    }),
  );
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: 0, max: 255 }),
      u16,
      u16,
      u16,
      fc.boolean(),
      (type, code, ck, id, seq, v6) => {
        const icmp = encodeIcmp({ type, code, checksum: ck, rest: id * 65536 + seq });
        const pkt = v6
          ? decodeBytes(encodeIpv6({ nextHeader: 58, src: V6A, dst: V6B }, icmp), 229)
          : decodeBytes(encodeIpv4({ protocol: 1, src: 1, dst: 2 }, icmp), 228);
        assert.deepStrictEqual([pkt.icmp.type, pkt.icmp.code, pkt.icmp.checksum], [type, code, ck]);
        const echo = v6
          ? type === 128 || type === 129
          : type === 0 || type === 8 || type === 13 || type === 14;
        assert.deepStrictEqual([pkt.icmp.id, pkt.icmp.seq], echo ? [id, seq] : [0, 0]);
        assert.ok((pkt.layers & (v6 ? LayerBit.icmpv6 : LayerBit.icmpv4)) !== 0);
      },
    ),
  );
});

Deno.test("decodeArp(), decodeSll(), decodeSll2() and decodeLoopback() give back encoded fields", () => {
  fc.assert(
    fc.property(u16, mac, u32, mac, u32, (op, sha, spa, tha, tpa) => {
      const pkt = decodeBytes(
        encodeEthernet(
          { type: 0x0806 },
          encodeArp({ op, senderMac: sha, senderIp: spa, targetMac: tha, targetIp: tpa }),
        ),
        1,
      );
      const a = pkt.arp;
      assert.deepStrictEqual(
        [
          a.op,
          pkt.buf.slice(a.senderMacOffset, a.senderMacOffset + 6),
          a.senderIp,
          pkt.buf.slice(a.targetMacOffset, a.targetMacOffset + 6),
          a.targetIp,
        ],
        [op, sha, spa, tha, tpa],
      );
    }),
  );
  fc.assert(
    fc.property(
      u16,
      u16,
      fc.uint8Array({ maxLength: 8 }),
      u32,
      fc.integer({ min: 0, max: 255 }),
      (ptype, arphrd, addr, ifIndex, ptype2) => {
        const v1 = decodeBytes(
          encodeSll({ packetType: ptype, arphrdType: arphrd, addr, protocol: 0x88cc }),
          113,
        ).sll;
        assert.deepStrictEqual(
          [v1.version, v1.packetType, v1.arphrdType, v1.addrLen, v1.protocol],
          [1, ptype, arphrd, addr.length, 0x88cc],
        );
        const v2 = decodeBytes(
          encodeSll2({ packetType: ptype2, arphrdType: arphrd, addr, protocol: 0x88cc, ifIndex }),
          276,
        ).sll;
        assert.deepStrictEqual([
          v2.version,
          v2.packetType,
          v2.arphrdType,
          v2.addrLen,
          v2.protocol,
          v2.ifIndex,
        ], [2, ptype2, arphrd, addr.length, 0x88cc, ifIndex]);
      },
    ),
  );
  fc.assert(
    fc.property(fc.constantFrom(2, 24, 28, 30), fc.boolean(), (family, le) => {
      const pkt = decodeBytes(encodeLoopback(family, le, new Uint8Array(0)), 0);
      assert.equal(pkt.loopbackFamily, family);
    }),
  );
});

Deno.test("decodeFrame() never throws on odd frame offsets and capture lengths", () => {
  const pkt = new PacketClass();
  fc.assert(
    fc.property(
      fc.constantFrom(...LINK_TYPES),
      fc.uint8Array({ maxLength: 80 }),
      fc.oneof(fc.integer({ min: -10, max: 100 }), fc.constant(NaN)),
      fc.oneof(fc.integer({ min: -10, max: 200 }), fc.constant(NaN), fc.constant(Infinity)),
      (linkType, buf, offset, caplen) => {
        decodeFrame({ buf, offset, caplen, len: caplen, tsSec: 0, tsNsec: 0, linkType }, pkt);
        assert.ok(pkt.payloadLen >= 0);
        assert.ok(pkt.payloadOffset + pkt.payloadLen <= buf.length);
        JSON.stringify(packetToJson(pkt));
        packetToText(pkt);
      },
    ),
    { numRuns: 1000 },
  );
});
