import assert from "node:assert/strict";
import {
  decodeBytes,
  encodeEthernet,
  encodeIcmp,
  encodeIpv4,
  encodeIpv6,
  encodeTcp,
  hex,
} from "./_test_encode.ts";
import { packetToJson } from "./dump_json.ts";
import { packetToText } from "./dump_text.ts";
import { LayerBit } from "./packet.ts";

// ICMPv4

// benign/zeek/icmp__5-pings.pcap frame 1: echo request id 1226 seq 1.
const PING = hex(
  "a683e70c9064000c29cf3015080045000054946a40004001bd04ac108502acd90b4e0800ef2404ca00018bcfcf5f0000" +
    "0000db0d0f0000000000101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435" +
    "3637",
);

// benign/ndpi/iphone.pcap frame 193: port unreachable quoting a DNS response (UDP 53 → 63377).
const PORT_UNREACHABLE = hex(
  "c62c03606a64c4618b3582a9080045000038e37e0000400111e4c0a80211c0a802010303047b00000000450000cfc843" +
    "000040112c78c0a80201c0a802110035f79100bb0000",
);

// ICMPv6

// decoder/suricata-verify/ipv6-evasion__ipv6-kill-router-gateway/kill_router6.pcap frame 2:
// destination unreachable (no route) quoting a TCP SYN to port 443.
const V6_UNREACHABLE = hex(
  "0c4de9c574dc64006a5b8eb386dd6008c04f005c3a4020010db800010000000000000000000320010db800010000306e" +
    "739ddea699a401002b0d000000006001f552002c064020010db800010000306e739ddea699a4200116b84700eb603a10" +
    "d5fffe4eabe6d36001bbc3ef9f6b00000000b002ffff08440000020405a0010303060101080a263f62a5000000000402" +
    "0000",
);

Deno.test("decodeIcmpv4() decodes an echo request", () => {
  const pkt = decodeBytes(PING, 1);
  assert.deepStrictEqual(packetToJson(pkt).icmp, {
    type: 8,
    code: 0,
  });
  assert.deepStrictEqual([pkt.icmp.checksum, pkt.icmp.id, pkt.icmp.seq], [0xef24, 1226, 1]);
  assert.equal(pkt.layers, LayerBit.ethernet | LayerBit.ipv4 | LayerBit.icmpv4);
  assert.equal(pkt.payloadLen, 56);
  assert.match(packetToText(pkt), /ICMP echo request, id 1226, seq 1, length 64$/);
});

Deno.test("decodeIcmpv4() decodes the datagram quoted by a port unreachable", () => {
  const pkt = decodeBytes(PORT_UNREACHABLE, 1);
  assert.deepStrictEqual(packetToJson(pkt).icmp, {
    type: 3,
    code: 3,
    quoted: {
      version: 4,
      proto: 17,
      src: "192.168.2.1",
      dst: "192.168.2.17",
      src_port: 53,
      dst_port: 63377,
    },
  });
  assert.ok((pkt.layers & LayerBit.icmpQuote) !== 0);
  assert.match(
    packetToText(pkt),
    /ICMP unreachable port 192\.168\.2\.17 udp port 63377, length 36$/,
  );
});

Deno.test("decodeIcmpv6() decodes the datagram quoted by a destination unreachable", () => {
  const pkt = decodeBytes(V6_UNREACHABLE, 1);
  assert.deepStrictEqual(packetToJson(pkt).icmp, {
    type: 1,
    code: 0,
    quoted: {
      version: 6,
      proto: 6,
      src: "2001:db8:1:0:306e:739d:dea6:99a4",
      dst: "2001:16b8:4700:eb60:3a10:d5ff:fe4e:abe6",
      src_port: 54112,
      dst_port: 443,
    },
  });
  assert.equal(
    pkt.layers,
    LayerBit.ethernet | LayerBit.ipv6 | LayerBit.icmpv6 | LayerBit.icmpQuote,
  );
});

Deno.test("decodeIcmpv6() decodes echo id and seq", () => {
  const v6 = encodeIpv6(
    { nextHeader: 58, src: [0xfe800000, 0, 0, 1], dst: [0xfe800000, 0, 0, 2] },
    encodeIcmp({ type: 128, rest: 0x00070009 }),
  );
  const pkt = decodeBytes(encodeEthernet({ type: 0x86dd }, v6), 1);
  assert.deepStrictEqual([pkt.icmp.type, pkt.icmp.id, pkt.icmp.seq], [128, 7, 9]);
  assert.match(
    packetToText(pkt),
    /IP6 fe80::1 > fe80::2: ICMP6 echo request, id 7, seq 9, length 8$/,
  );
});

Deno.test("decodeIcmpv4() skips a quote too short for an IP header, without a problem", () => {
  const body = hex("4500001c");
  const ip = encodeIpv4({ protocol: 1, src: 1, dst: 2 }, encodeIcmp({ type: 11 }, body));
  const pkt = decodeBytes(encodeEthernet({ type: 0x0800 }, ip), 1);
  assert.equal(pkt.problem, null);
  assert.equal(pkt.layers & LayerBit.icmpQuote, 0);
  // A quoted TCP header whose ports are cut off: addresses yes, ports 0.
  const inner = encodeIpv4({ protocol: 6, src: 3, dst: 4 }, encodeTcp({ srcPort: 9, dstPort: 10 }));
  const cut = encodeIpv4(
    { protocol: 1, src: 1, dst: 2 },
    encodeIcmp({ type: 3, code: 1 }, inner.subarray(0, 22)),
  );
  const p2 = decodeBytes(encodeEthernet({ type: 0x0800 }, cut), 1);
  assert.ok((p2.layers & LayerBit.icmpQuote) !== 0);
  assert.deepStrictEqual([p2.icmp.quoted.protocol, p2.icmp.quoted.dst[0], p2.icmp.quoted.dstPort], [
    6,
    4,
    0,
  ]);
});

Deno.test("decodeIcmpv4() and decodeIcmpv6() truncation sweep", () => {
  for (let n = 34; n < 42; n++) {
    assert.deepStrictEqual(decodeBytes(PING, 1, { caplen: n }).problem, {
      kind: "truncated",
      layer: "icmpv4",
      required: 8,
      available: n - 34,
      offset: 34,
    });
  }
  for (let n = 54; n < 62; n++) {
    assert.deepStrictEqual(decodeBytes(V6_UNREACHABLE, 1, { caplen: n }).problem, {
      kind: "truncated",
      layer: "icmpv6",
      required: 8,
      available: n - 54,
      offset: 54,
    });
  }
});
