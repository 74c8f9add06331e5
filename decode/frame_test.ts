import assert from "node:assert/strict";
import {
  decodeBytes,
  encodeIpv4,
  encodeIpv6,
  encodeLoopback,
  encodeSll,
  encodeSll2,
  encodeTcp,
  encodeUdp,
  frameOf,
  hex,
} from "./_test_encode.ts";
import { packetToJson } from "./dump_json.ts";
import { decodeFrame } from "./frame.ts";
import { decodeIpPacket } from "./ip.ts";
import { LayerBit, Packet } from "./packet.ts";

// Linux cooked capture

// decoder/tcpdump/linux-sll/tcp-handshake-nano.pcap frame 1 (nanosecond pcap): outgoing TCP
// SYN over SLL v1, ARPHRD 512 (PPP), no link address.
const SLL_SYN = hex(
  "000402000000000000000000000008004500003c29a940004006db5f839bd7458974515eb64000502f842acb00000000" +
    "a0026a4050c40000020405500402080a436a03620000000001030307",
);

// decoder/suricata-verify/decode-sll2-02/input.pcap frame 1: outgoing TCP SYN over SLL2.
const SLL2_SYN = hex(
  "080000000000000200010406aa763071b0e700004500003c45a94000400670b0c0a801fdc0a80115dc9e00508b0b4393" +
    "00000000a002faf0d70c0000020405b40402080ac5be80530000000001030307",
);

// Loopback

// decoder/suricata-verify/http-ipv6/input.pcap frame 1: DLT_NULL, little-endian AF_INET6 30
// (macOS), TCP SYN from ::1 to ::1 port 8000.
const NULL_V6_SYN = hex(
  "1e0000006000c57a002c06400000000000000000000000000000000100000000000000000000000000000001d9a51f40" +
    "11b0c54000000000b002ffff0034000002043fc4010303050101080a2df118d20000000004020000",
);

// Raw IP

// decoder/tcpdump/link-layer/LINKTYPE_RAW_ipv4.pcap frame 1 (DLT_RAW 12): DNS query.
const RAW_DNS = hex(
  "45000039000100004011a695c0a80164090909093039003500251976123401000001000000000000076578616d706c65" +
    "03636f6d0000010001",
);

Deno.test("decodeSll() decodes a Linux cooked v1 frame with nanosecond time", () => {
  const pkt = decodeBytes(SLL_SYN, 113, { tsSec: 1418145369, tsNsec: 924505488 });
  assert.deepStrictEqual(packetToJson(pkt), {
    ts: "2014-12-09T17:16:09.924505Z",
    caplen: 76,
    len: 76,
    link: "linux_sll",
    sll: { version: 1, packet_type: 4, arphrd_type: 512, addr: "", protocol: "0x0800" },
    vlan: [],
    ip: {
      version: 4,
      hlen: 20,
      tos: 0,
      len: 60,
      id: 10665,
      df: true,
      mf: false,
      frag_offset: 0,
      ttl: 64,
      proto: 6,
      checksum: "0xdb5f",
      src: "131.155.215.69",
      dst: "137.116.81.94",
      options: [],
    },
    tcp: {
      src_port: 46656,
      dst_port: 80,
      seq: 797190859,
      ack: 0,
      hlen: 40,
      flags: "S",
      window: 27200,
      checksum: "0x50c4",
      urgent: 0,
      options: [
        { kind: "mss", value: 1360 },
        { kind: "sack_permitted" },
        { kind: "timestamp", tsval: 1131021154, tsecr: 0 },
        { kind: "nop" },
        { kind: "wscale", value: 7 },
      ],
    },
    payload_len: 0,
    payload_preview: "",
    anomalies: [],
  });
  assert.equal(pkt.ts, 1418145369 + 924505488 / 1e9);
});

Deno.test("decodeSll2() decodes a Linux cooked v2 frame", () => {
  const pkt = decodeBytes(SLL2_SYN, 276);
  const json = packetToJson(pkt);
  assert.deepStrictEqual(json.sll, {
    version: 2,
    packet_type: 4,
    arphrd_type: 1,
    addr: "aa:76:30:71:b0:e7",
    protocol: "0x0800",
    if_index: 2,
  });
  assert.equal(pkt.tcp.seq, 2332771219);
  assert.equal(pkt.tcp.dstPort, 80);
  assert.equal(pkt.layers, LayerBit.sll | LayerBit.ipv4 | LayerBit.tcp);
});

Deno.test("decodeSll() leaves non-EtherType protocols (netlink, 802.2) as payload", () => {
  const netlink = encodeSll({ packetType: 4, arphrdType: 824, addr: hex(""), protocol: 0x0800 });
  const llc = encodeSll({ packetType: 0, arphrdType: 1, addr: hex("020000000001"), protocol: 4 });
  for (const frame of [netlink, llc]) {
    const pkt = decodeBytes(frame, 113);
    assert.equal(pkt.layers, LayerBit.sll);
    assert.equal(pkt.problem, null);
  }
});

Deno.test("decodeSll() and decodeSll2() truncation sweep", () => {
  for (let n = 0; n < 16; n++) {
    assert.deepStrictEqual(decodeBytes(SLL_SYN, 113, { caplen: n }).problem, {
      kind: "truncated",
      layer: "sll",
      required: 16,
      available: n,
      offset: 0,
    });
  }
  for (let n = 0; n < 20; n++) {
    assert.deepStrictEqual(decodeBytes(SLL2_SYN, 276, { caplen: n }).problem, {
      kind: "truncated",
      layer: "sll",
      required: 20,
      available: n,
      offset: 0,
    });
  }
});

Deno.test("decodeSll2() decodes VLAN tags after the cooked header", () => {
  const inner = hex("0064" + "0800"); // TCI 100, EtherType IPv4
  const ip = encodeIpv4({ protocol: 17, src: 1, dst: 2 }, encodeUdp({ srcPort: 5, dstPort: 6 }));
  const frame = encodeSll2(
    { packetType: 0, arphrdType: 1, addr: hex("020000000001"), protocol: 0x8100, ifIndex: 7 },
    new Uint8Array([...inner, ...ip]),
  );
  const pkt = decodeBytes(frame, 276);
  assert.equal(pkt.problem, null);
  assert.equal(pkt.vlan.count, 1);
  assert.equal(pkt.vlan.ids[0], 100);
  assert.equal(pkt.udp.dstPort, 6);
});

Deno.test("decodeLoopback() decodes DLT_NULL in both byte orders and DLT_LOOP", () => {
  const pkt = decodeBytes(NULL_V6_SYN, 0, { tsSec: 1626868686, tsNsec: 228067000 });
  const json = packetToJson(pkt);
  assert.deepStrictEqual(json.loopback, { family: 30 });
  assert.deepStrictEqual(json.ip, {
    version: 6,
    next_header: 6,
    hop_limit: 64,
    flow_label: 50554,
    ext_headers: [],
    src: "::1",
    dst: "::1",
  });
  assert.equal(pkt.tcp.srcPort, 55717);
  const ip4 = encodeIpv4(
    { protocol: 17, src: 0x7f000001, dst: 0x7f000001 },
    encodeUdp({ srcPort: 1, dstPort: 2 }),
  );
  const v6 = encodeIpv6({ nextHeader: 59, src: [0, 0, 0, 1], dst: [0, 0, 0, 1] });
  const cases: [Uint8Array, number, number][] = [
    [encodeLoopback(2, true, ip4), 0, LayerBit.ipv4],
    [encodeLoopback(2, false, ip4), 0, LayerBit.ipv4],
    [encodeLoopback(24, false, v6), 0, LayerBit.ipv6],
    [encodeLoopback(28, true, v6), 0, LayerBit.ipv6],
    [encodeLoopback(2, false, ip4), 108, LayerBit.ipv4],
    [encodeLoopback(30, false, v6), 108, LayerBit.ipv6],
  ];
  for (const [frame, link, bit] of cases) {
    const p = decodeBytes(frame, link);
    assert.equal(p.problem, null);
    assert.ok((p.layers & bit) !== 0, `link ${link} family of ${frame.subarray(0, 4)}`);
  }
});

Deno.test("decodeLoopback() rejects an unknown address family", () => {
  const pkt = decodeBytes(encodeLoopback(7, true, new Uint8Array(20)), 0);
  assert.deepStrictEqual(pkt.problem, {
    kind: "invalid",
    layer: "loopback",
    field: "family",
    value: 7,
    offset: 0,
  });
  assert.equal(pkt.layers, LayerBit.loopback);
  // DLT_LOOP is network order only: a little-endian 2 is family 0x02000000.
  assert.equal(
    decodeBytes(encodeLoopback(2, true, new Uint8Array(20)), 108).loopbackFamily,
    0x02000000,
  );
  for (let n = 0; n < 4; n++) {
    assert.deepStrictEqual(decodeBytes(NULL_V6_SYN, 0, { caplen: n }).problem, {
      kind: "truncated",
      layer: "loopback",
      required: 4,
      available: n,
      offset: 0,
    });
  }
});

Deno.test("decodeFrame() decodes every raw-IP link type", () => {
  const v6 = encodeIpv6(
    { nextHeader: 6, src: [0x20010db8, 0, 0, 1], dst: [0x20010db8, 0, 0, 2] },
    encodeTcp({ srcPort: 1, dstPort: 2 }),
  );
  for (const link of [12, 14, 101, 228]) {
    const pkt = decodeBytes(RAW_DNS, link);
    assert.equal(pkt.problem, null);
    assert.equal(pkt.layers, LayerBit.ipv4 | LayerBit.udp, `link ${link}`);
    assert.equal(pkt.udp.dstPort, 53);
    assert.equal(pkt.payloadLen, 29);
  }
  for (const link of [12, 14, 101, 229]) {
    assert.equal(decodeBytes(v6, link).layers, LayerBit.ipv6 | LayerBit.tcp, `link ${link}`);
  }
  // LINKTYPE_IPV4 with an IPv6 datagram: the version is wrong for the link type.
  assert.deepStrictEqual(decodeBytes(v6, 228).problem, {
    kind: "invalid",
    layer: "ipv4",
    field: "version",
    value: 6,
    offset: 0,
  });
  assert.deepStrictEqual(decodeBytes(hex("50"), 101).problem, {
    kind: "invalid",
    layer: "ip",
    field: "version",
    value: 5,
    offset: 0,
  });
  assert.deepStrictEqual(decodeBytes(hex(""), 12).problem, {
    kind: "truncated",
    layer: "ip",
    required: 1,
    available: 0,
    offset: 0,
  });
});

Deno.test("decodeFrame() reports an unknown link type as link.invalid_type", () => {
  const pkt = decodeBytes(RAW_DNS, 9);
  assert.deepStrictEqual(pkt.problem, {
    kind: "invalid",
    layer: "link",
    field: "type",
    value: 9,
    offset: 0,
  });
  assert.equal(pkt.layers, 0);
  assert.deepStrictEqual(packetToJson(pkt).anomalies, ["link.invalid_type"]);
  assert.equal(packetToJson(pkt).link, "dlt_9");
});

Deno.test("decodeFrame() resets the packet between frames and honours the frame offset", () => {
  const pkt = new Packet();
  decodeFrame(frameOf(SLL_SYN, 113), pkt);
  decodeFrame(frameOf(RAW_DNS, 9), pkt);
  assert.equal(pkt.layers, 0);
  assert.equal(pkt.l3Offset, -1);
  assert.equal(pkt.l4Offset, -1);
  decodeFrame(frameOf(hex("00"), 1), pkt);
  assert.equal(pkt.problem?.kind, "truncated");
  // The same DNS datagram 5 bytes into a larger buffer.
  const buf = new Uint8Array(5 + RAW_DNS.length + 7);
  buf.set(RAW_DNS, 5);
  decodeFrame(frameOf(buf, 101, { offset: 5, caplen: RAW_DNS.length }), pkt);
  assert.equal(pkt.problem, null);
  assert.equal(pkt.l3Offset, 5);
  assert.equal(pkt.payloadOffset, 5 + 28);
  assert.equal(pkt.payloadLen, 29);
  // A caplen past the end of the buffer is bounded by the buffer.
  decodeFrame(frameOf(RAW_DNS, 101, { caplen: 1000 }), pkt);
  assert.equal(pkt.problem, null);
  assert.equal(pkt.payloadLen, 29);
});

Deno.test("decodeIpPacket() decodes a reassembled datagram on its own", () => {
  const pkt = decodeBytes(SLL_SYN, 113, { tsSec: 7 });
  const datagram = new Uint8Array([0, 0, ...RAW_DNS]);
  decodeIpPacket(datagram, 2, datagram.length, pkt);
  assert.equal(pkt.layers, LayerBit.ipv4 | LayerBit.udp);
  assert.equal(pkt.buf, datagram);
  assert.equal(pkt.caplen, RAW_DNS.length);
  assert.equal(pkt.tsSec, 7);
  assert.equal(pkt.payloadLen, 29);
  assert.equal(pkt.problem, null);
  decodeIpPacket(datagram, 2, 10, pkt);
  assert.deepStrictEqual(pkt.problem, {
    kind: "truncated",
    layer: "ipv4",
    required: 20,
    available: 8,
    offset: 0,
  });
});
