import assert from "node:assert/strict";
import {
  decodeBytes,
  encodeEthernet,
  encodeIpv4,
  encodeIpv6,
  encodeTcp,
  encodeUdp,
  frameOf,
  hex,
} from "./_test_encode.ts";
import { decodeFrame } from "./frame.ts";
import { packetToJson } from "./dump_json.ts";
import { ipv4Options } from "./ipv4.ts";
import { LayerBit, Packet } from "./packet.ts";

// IPv4

// decoder/suricata-verify/defrag__bug-6887-defrag-ipv4-tcp-syn/frag-ip-tcp-syn.pcap frames 1
// and 2 (LINKTYPE_IPV4 228): a TCP SYN split into 8-byte fragments.
const FRAG_FIRST = hex("4500001c00012000400634dd010101010202020230390050000003e8");
const FRAG_SECOND = hex("4500001c00012001400654d501010101020202020000000060022000");

function ipv4Frame(fields: Partial<Parameters<typeof encodeIpv4>[0]>, payload?: Uint8Array) {
  return encodeEthernet(
    { type: 0x0800 },
    encodeIpv4({ protocol: 6, src: 0xc0000201, dst: 0xc6336402, ...fields }, payload),
  );
}

Deno.test("decodeIpv4() decodes every header field", () => {
  const tcp = encodeTcp({ srcPort: 80, dstPort: 8080, flags: 0x12 });
  const pkt = decodeBytes(
    ipv4Frame({ tos: 0xb8, id: 0xbeef, df: true, ttl: 3, checksum: 0x1234 }, tcp),
    1,
  );
  assert.deepStrictEqual(packetToJson(pkt).ip, {
    version: 4,
    hlen: 20,
    tos: 0xb8,
    len: 40,
    id: 0xbeef,
    df: true,
    mf: false,
    frag_offset: 0,
    ttl: 3,
    proto: 6,
    checksum: "0x1234",
    src: "192.0.2.1",
    dst: "198.51.100.2",
    options: [],
  });
  assert.equal(pkt.ip.src[0], 0xc0000201);
  assert.equal(pkt.ip.src[1], 0);
});

Deno.test("decodeIpv4() keeps options as a byte range and ipv4Options() lists them", () => {
  // Router alert (148, len 4), NOP, EOL, padding to 8 bytes.
  const options = hex("94040000" + "01" + "00" + "0000");
  const pkt = decodeBytes(ipv4Frame({ options }, encodeTcp({ srcPort: 1, dstPort: 2 })), 1);
  assert.equal(pkt.problem, null);
  assert.equal(pkt.ip.headerLen, 28);
  assert.equal(pkt.ip.optionsOffset, 14 + 20);
  assert.equal(pkt.ip.optionsLen, 8);
  assert.deepStrictEqual(
    ipv4Options(pkt).map((o) => [o.type, o.len]),
    [[148, 4], [1, 1], [0, 1]],
  );
  assert.deepStrictEqual((packetToJson(pkt).ip as { options: unknown }).options, [
    { type: 148, len: 4 },
    { type: 1, len: 1 },
    { type: 0, len: 1 },
  ]);
  assert.equal(pkt.tcp.dstPort, 2);
});

Deno.test("decodeIpv4() rejects a malformed option and does not decode the transport layer", () => {
  // Option 130 (security) claiming 1 byte, then 3 bytes.
  const pkt = decodeBytes(
    ipv4Frame({ options: hex("82010000") }, encodeTcp({ srcPort: 1, dstPort: 2 })),
    1,
  );
  assert.deepStrictEqual(pkt.problem, {
    kind: "invalid",
    layer: "ipv4",
    field: "option",
    value: 130,
    offset: 34,
  });
  assert.equal(pkt.layers, LayerBit.ethernet | LayerBit.ipv4);
  const past = decodeBytes(ipv4Frame({ options: hex("44080000") }), 1);
  assert.equal(past.problem?.kind === "invalid" && past.problem.field, "option");
});

Deno.test("decodeIpv4() rejects a header length below 5 words", () => {
  for (const ihl of [0, 1, 4]) {
    const pkt = decodeBytes(ipv4Frame({ ihl }), 1);
    assert.deepStrictEqual(pkt.problem, {
      kind: "invalid",
      layer: "ipv4",
      field: "hlen",
      value: ihl,
      offset: 14,
    });
    assert.equal(pkt.layers, LayerBit.ethernet);
  }
});

Deno.test("decodeIpv4() rejects a version other than 4", () => {
  const pkt = decodeBytes(ipv4Frame({ version: 6 }), 1);
  assert.deepStrictEqual(pkt.problem, {
    kind: "invalid",
    layer: "ipv4",
    field: "version",
    value: 6,
    offset: 14,
  });
});

Deno.test("decodeIpv4() rejects a total length shorter than the header", () => {
  const pkt = decodeBytes(ipv4Frame({ totalLen: 19 }), 1);
  assert.deepStrictEqual(pkt.problem, {
    kind: "invalid",
    layer: "ipv4",
    field: "len",
    value: 19,
    offset: 14,
  });
  assert.ok((pkt.layers & LayerBit.ipv4) !== 0);
  assert.equal(pkt.payloadLen, 0);
});

Deno.test("decodeIpv4() reads up to the captured length when the total length is 0 (TSO)", () => {
  const pkt = decodeBytes(
    ipv4Frame({ totalLen: 0 }, encodeTcp({ srcPort: 1, dstPort: 2 }, new Uint8Array(3000))),
    1,
  );
  assert.equal(pkt.problem, null);
  assert.equal(pkt.ip.totalLen, 0);
  assert.equal(pkt.payloadLen, 3000);
});

Deno.test("decodeIpv4() truncation sweep: every prefix of the header is ipv4.truncated", () => {
  const frame = ipv4Frame({ options: hex("01010101") }, encodeTcp({ srcPort: 1, dstPort: 2 }));
  for (let n = 14; n < 14 + 24; n++) {
    const pkt = decodeBytes(frame, 1, { caplen: n });
    assert.deepStrictEqual(pkt.problem, {
      kind: "truncated",
      layer: "ipv4",
      required: n - 14 < 20 ? 20 : 24,
      available: n - 14,
      offset: 14,
    });
    assert.equal(pkt.layers, LayerBit.ethernet);
  }
});

Deno.test("decodeIpv4() marks the first fragment and decodes its transport header only if whole", () => {
  const first = decodeBytes(FRAG_FIRST, 228);
  assert.equal(first.layers, LayerBit.ipv4 | LayerBit.fragment);
  assert.equal(first.problem, null, "an 8-byte first fragment is not a truncated TCP header");
  assert.equal(first.ip.moreFragments, true);
  assert.equal(first.ip.fragOffset, 0);
  assert.equal(first.payloadLen, 8);
  const second = decodeBytes(FRAG_SECOND, 228);
  assert.equal(second.layers, LayerBit.ipv4 | LayerBit.fragment);
  assert.equal(second.ip.fragOffset, 8);
  assert.equal(second.ip.id, 1);
  assert.equal(second.payloadOffset, 20);
  // A first fragment that holds the whole UDP header decodes it, without a length check.
  const udp = encodeUdp({ srcPort: 53, dstPort: 5353, length: 4000 }, new Uint8Array(16));
  const pkt = decodeBytes(ipv4Frame({ protocol: 17, mf: true, id: 9 }, udp), 1);
  assert.equal(pkt.layers, LayerBit.ethernet | LayerBit.ipv4 | LayerBit.fragment | LayerBit.udp);
  assert.equal(pkt.problem, null);
  assert.equal(pkt.udp.length, 4000);
  assert.equal(pkt.payloadLen, 16);
  // A later fragment whose payload happens to look like a TCP header is not decoded.
  const later = decodeBytes(
    ipv4Frame({ fragOffset: 1480 }, encodeTcp({ srcPort: 1, dstPort: 2 })),
    1,
  );
  assert.equal(later.layers & LayerBit.tcp, 0);
  assert.equal(later.ip.fragOffset, 1480);
});

Deno.test("decodeIpv4() after an IPv6 frame in the same Packet leaves address words 1 to 3 zero", () => {
  const pkt = new Packet();
  const v6 = encodeEthernet(
    { type: 0x86dd },
    encodeIpv6({ nextHeader: 59, src: [1, 2, 3, 4], dst: [5, 6, 7, 8] }),
  );
  const v4 = encodeEthernet({ type: 0x0800 }, encodeIpv4({ protocol: 59, src: 9, dst: 10 }));
  decodeFrame(frameOf(v6, 1), pkt);
  assert.deepStrictEqual(Array.from(pkt.ip.src), [1, 2, 3, 4]);
  decodeFrame(frameOf(v4, 1), pkt);
  assert.equal(pkt.ip.version, 4);
  assert.deepStrictEqual(Array.from(pkt.ip.src), [9, 0, 0, 0]);
  assert.deepStrictEqual(Array.from(pkt.ip.dst), [10, 0, 0, 0]);
  // And again, now that the previous frame was IPv4 too.
  decodeFrame(frameOf(v4, 1), pkt);
  assert.deepStrictEqual(Array.from(pkt.ip.dst), [10, 0, 0, 0]);
});
