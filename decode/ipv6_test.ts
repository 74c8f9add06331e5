import assert from "node:assert/strict";
import {
  concat,
  decodeBytes,
  encodeEthernet,
  encodeIpv6,
  encodeIpv6Ext,
  encodeIpv6Fragment,
  encodeTcp,
  encodeUdp,
  hex,
} from "./_test_encode.ts";
import { packetToJson } from "./dump_json.ts";
import { MAX_IPV6_EXT_HEADERS } from "./ipv6.ts";
import { LayerBit } from "./packet.ts";

// IPv6

// decoder/tcpdump/ipv6/ipv6-srh-ext-header.pcap frame 1: IPv6 with a segment routing header
// (routing, 43) carrying IPv6-in-IPv6 (41).
const SRH = hex(
  "080027206bcf080027c22da586dd600889ad00902b40000a000b000c00120000000000000001000a000b000c00020000" +
    "000000f100002904040101000000000a000b000c000300000000000000d6000a000b000c00020000000000f100006008" +
    "89ad00403a40000a000b000c0012000000000000000100b200000000000000000000000000028000635e06ee000103c5" +
    "475a000000000a5e000000000000101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031" +
    "323334353637",
);

const A = [0x20010db8, 0, 0, 1];
const B = [0x20010db8, 0, 0, 2];

function v6Frame(next: number, payload: Uint8Array, payloadLen?: number) {
  return encodeEthernet(
    { type: 0x86dd },
    encodeIpv6({
      nextHeader: next,
      src: A,
      dst: B,
      tc: 0x28,
      flowLabel: 0xabcde,
      hopLimit: 9,
      ...(payloadLen === undefined ? {} : { payloadLen }),
    }, payload),
  );
}

Deno.test("decodeIpv6() decodes a routing header and records its type", () => {
  const pkt = decodeBytes(SRH, 1, { tsSec: 1514564971, tsNsec: 85223000 });
  assert.deepStrictEqual(packetToJson(pkt).ip, {
    version: 6,
    next_header: 41,
    hop_limit: 64,
    flow_label: 559533,
    ext_headers: [43],
    src: "a:b:c:12::1",
    dst: "a:b:c:2::f1:0",
  });
  assert.equal(pkt.payloadOffset, 14 + 80);
  assert.equal(pkt.payloadLen, 104);
  assert.equal(pkt.problem, null);
});

Deno.test("decodeIpv6() walks hop-by-hop, destination options and AH to TCP", () => {
  const ah = concat(hex("0601" + "0000"), new Uint8Array(8)); // next TCP, len 1 → 12 bytes
  const chain = concat(
    encodeIpv6Ext(60),
    encodeIpv6Ext(51),
    ah,
    encodeTcp({ srcPort: 443, dstPort: 50000, seq: 7, flags: 0x10 }, hex("68690a")),
  );
  const pkt = decodeBytes(v6Frame(0, chain), 1);
  assert.equal(pkt.problem, null);
  assert.deepStrictEqual(Array.from(pkt.ip.extTypes.subarray(0, pkt.ip.extCount)), [0, 60, 51]);
  assert.equal(pkt.ip.protocol, 6);
  assert.equal(pkt.ip.headerLen, 40 + 8 + 8 + 12);
  assert.equal(pkt.ip.tos, 0x28);
  assert.equal(pkt.ip.flowLabel, 0xabcde);
  assert.equal(pkt.ip.ttl, 9);
  assert.equal(pkt.tcp.srcPort, 443);
  assert.equal(pkt.payloadLen, 3);
  assert.equal(packetToJson(pkt).payload_preview, "hi\n");
});

Deno.test("decodeIpv6() fills id, offset and MF from a fragment header", () => {
  const first = decodeBytes(
    v6Frame(
      44,
      concat(
        encodeIpv6Fragment(17, 0, true, 0xdeadbeef),
        encodeUdp({ srcPort: 1, dstPort: 2, length: 3000 }, new Uint8Array(8)),
      ),
    ),
    1,
  );
  assert.equal(first.problem, null);
  assert.equal(first.layers, LayerBit.ethernet | LayerBit.ipv6 | LayerBit.fragment | LayerBit.udp);
  assert.equal(first.ip.id, 0xdeadbeef);
  assert.equal(first.ip.moreFragments, true);
  assert.equal(first.ip.fragOffset, 0);
  assert.deepStrictEqual((packetToJson(first).ip as Record<string, unknown>).ext_headers, [44]);
  const later = decodeBytes(
    v6Frame(44, concat(encodeIpv6Fragment(6, 1448, false, 5), new Uint8Array(30))),
    1,
  );
  assert.equal(later.layers, LayerBit.ethernet | LayerBit.ipv6 | LayerBit.fragment);
  assert.equal(later.ip.fragOffset, 1448);
  assert.equal(later.payloadLen, 30);
  // An atomic fragment (offset 0, no MF) is a whole datagram.
  const atomic = decodeBytes(
    v6Frame(44, concat(encodeIpv6Fragment(17, 0, false, 5), encodeUdp({ srcPort: 1, dstPort: 2 }))),
    1,
  );
  assert.equal(atomic.layers, LayerBit.ethernet | LayerBit.ipv6 | LayerBit.udp);
});

Deno.test("decodeIpv6() stops at no-next-header (59)", () => {
  const pkt = decodeBytes(v6Frame(60, concat(encodeIpv6Ext(59), new Uint8Array(4))), 1);
  assert.equal(pkt.problem, null);
  assert.equal(pkt.ip.protocol, 59);
  assert.equal(pkt.layers, LayerBit.ethernet | LayerBit.ipv6);
});

Deno.test("decodeIpv6() rejects a version other than 6", () => {
  const frame = v6Frame(59, new Uint8Array(0));
  frame[14] = 0x45;
  assert.deepStrictEqual(decodeBytes(frame, 1).problem, {
    kind: "invalid",
    layer: "ipv6",
    field: "version",
    value: 4,
    offset: 14,
  });
});

Deno.test("decodeIpv6() rejects an extension chain longer than MAX_IPV6_EXT_HEADERS", () => {
  const exts = Array.from({ length: MAX_IPV6_EXT_HEADERS + 1 }, () => encodeIpv6Ext(60));
  const pkt = decodeBytes(v6Frame(60, concat(...exts)), 1);
  assert.deepStrictEqual(pkt.problem, {
    kind: "invalid",
    layer: "ipv6",
    field: "ext_chain",
    value: MAX_IPV6_EXT_HEADERS,
    offset: 14 + 40 + 8 * MAX_IPV6_EXT_HEADERS,
  });
  assert.equal(pkt.ip.extCount, 8);
});

Deno.test("decodeIpv6() truncation sweep: fixed header and extension header", () => {
  const frame = v6Frame(
    0,
    concat(encodeIpv6Ext(6, new Uint8Array(14)), encodeTcp({ srcPort: 1, dstPort: 2 })),
  );
  for (let n = 14; n < 14 + 40; n++) {
    assert.deepStrictEqual(decodeBytes(frame, 1, { caplen: n }).problem, {
      kind: "truncated",
      layer: "ipv6",
      required: 40,
      available: n - 14,
      offset: 14,
    });
  }
  for (let n = 54; n < 54 + 16; n++) {
    const pkt = decodeBytes(frame, 1, { caplen: n });
    assert.deepStrictEqual(pkt.problem, {
      kind: "truncated",
      layer: "ipv6",
      required: n - 54 < 8 ? 8 : 16,
      available: n - 54,
      offset: 54,
    });
    assert.ok((pkt.layers & LayerBit.ipv6) !== 0, "the fixed header stays decoded");
  }
});

Deno.test("decodeIpv6() bounds the payload by the payload length; 0 means all only for jumbograms", () => {
  const padded = concat(
    v6Frame(17, encodeUdp({ srcPort: 1, dstPort: 2 }, hex("aa"))),
    new Uint8Array(6),
  );
  assert.equal(decodeBytes(padded, 1).payloadLen, 1);
  // Hop-by-hop first (where the jumbo payload option lives): up to the captured length.
  const jumbo = v6Frame(
    0,
    concat(encodeIpv6Ext(17), encodeUdp({ srcPort: 1, dstPort: 2, length: 0 }, new Uint8Array(70))),
    0,
  );
  const pkt = decodeBytes(jumbo, 1);
  assert.equal(pkt.problem, null);
  assert.equal(pkt.payloadLen, 70);
  // No hop-by-hop header: the payload is empty and the ICMPv6 header after it is cut off.
  // (decoder/tcpdump/icmp/icmpv6-length-zero.pcapng has such a frame.)
  const empty = decodeBytes(v6Frame(58, new Uint8Array(24), 0), 1);
  assert.deepStrictEqual(empty.problem, {
    kind: "truncated",
    layer: "icmpv6",
    required: 8,
    available: 0,
    offset: 54,
  });
});
