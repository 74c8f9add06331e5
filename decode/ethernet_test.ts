import assert from "node:assert/strict";
import { concat, decodeBytes, encodeEthernet, encodeIpv4, encodeUdp, hex } from "./_test_encode.ts";
import { packetToJson } from "./dump_json.ts";
import { LayerBit, MAX_VLAN_TAGS } from "./packet.ts";

// Ethernet

// benign/ndpi/dns.pcap frame 1 (DNS response over Ethernet/IPv4/UDP), bytes from
// `tshark -r dns.pcap -x`; expected values checked against `tshark -V`.
const DNS_RESPONSE = hex(
  "00e018b10cad00c09f32418c08004500003ed539000080119007c0a8aa14c0a8aa080035801b002abc89dca281800001" +
    "00000000000003777777016c06676f6f676c6503636f6d00001c0001",
);

// decoder/tcpdump/vlan-pppoe-tunnel/802.1ad_QinQ.pcap frame 1: ARP request in an 802.1ad tag
// (id 200) over an 802.1Q tag (id 2001), with Ethernet padding after the ARP message.
const QINQ_ARP = hex(
  "ffffffffffff0020d25afb3f88a800c8810007d1080600010800060400010020d25afb3fac154f61000000000000ac15" +
    "4f640000000000000000000000000000",
);

Deno.test("decodeEthernet() decodes a DNS response frame down to UDP", () => {
  const pkt = decodeBytes(DNS_RESPONSE, 1, { tsSec: 1112172654, tsNsec: 366527000 });
  assert.deepStrictEqual(packetToJson(pkt), {
    ts: "2005-03-30T08:50:54.366527Z",
    caplen: 76,
    len: 76,
    link: "ethernet",
    eth: { src: "00:c0:9f:32:41:8c", dst: "00:e0:18:b1:0c:ad", type: "0x0800" },
    vlan: [],
    ip: {
      version: 4,
      hlen: 20,
      tos: 0,
      len: 62,
      id: 54585,
      df: false,
      mf: false,
      frag_offset: 0,
      ttl: 128,
      proto: 17,
      checksum: "0x9007",
      src: "192.168.170.20",
      dst: "192.168.170.8",
      options: [],
    },
    udp: { src_port: 53, dst_port: 32795, len: 42 },
    payload_len: 34,
    payload_preview: ".............www.l.google.com.....",
    anomalies: [],
  });
  assert.equal(pkt.layers, LayerBit.ethernet | LayerBit.ipv4 | LayerBit.udp);
  assert.equal(pkt.l3Offset, 14);
  assert.equal(pkt.l4Offset, 34);
  assert.equal(pkt.payloadOffset, 42);
});

Deno.test("decodeEthernet() decodes 802.1ad over 802.1Q tags (QinQ)", () => {
  const pkt = decodeBytes(QINQ_ARP, 1, { tsSec: 1575842394, tsNsec: 599412000 });
  assert.deepStrictEqual(packetToJson(pkt), {
    ts: "2019-12-08T21:59:54.599412Z",
    caplen: 64,
    len: 64,
    link: "ethernet",
    eth: { src: "00:20:d2:5a:fb:3f", dst: "ff:ff:ff:ff:ff:ff", type: "0x0806" },
    vlan: [200, 2001],
    arp: {
      op: 1,
      sender_mac: "00:20:d2:5a:fb:3f",
      sender_ip: "172.21.79.97",
      target_mac: "00:00:00:00:00:00",
      target_ip: "172.21.79.100",
    },
    payload_len: 14,
    payload_preview: "..............",
    anomalies: [],
  });
  assert.deepStrictEqual(Array.from(pkt.vlan.tpids.subarray(0, 2)), [0x88a8, 0x8100]);
});

Deno.test("decodeEthernet() decodes the pre-standard 0x9100 TPID and the priority bits", () => {
  const frame = encodeEthernet({ type: 0x86dd, tags: [{ tpid: 0x9100, id: 4095, pcp: 5 }] });
  const pkt = decodeBytes(frame, 1);
  assert.equal(pkt.vlan.count, 1);
  assert.equal(pkt.vlan.ids[0], 4095);
  assert.equal(pkt.vlan.pcp[0], 5);
  assert.equal(pkt.vlan.tpids[0], 0x9100);
  assert.equal(pkt.eth.etherType, 0x86dd);
  // No IPv6 header follows the tags.
  assert.deepStrictEqual(pkt.problem, {
    kind: "truncated",
    layer: "ipv6",
    required: 40,
    available: 0,
    offset: 18,
  });
});

Deno.test("decodeEthernet() rejects a VLAN stack deeper than MAX_VLAN_TAGS", () => {
  const tags = Array.from({ length: MAX_VLAN_TAGS + 1 }, (_, i) => ({ tpid: 0x8100, id: i }));
  const pkt = decodeBytes(encodeEthernet({ type: 0x0800, tags }), 1);
  assert.deepStrictEqual(pkt.problem, {
    kind: "invalid",
    layer: "vlan",
    field: "depth",
    value: MAX_VLAN_TAGS + 1,
    offset: 14 + 4 * MAX_VLAN_TAGS,
  });
  assert.equal(pkt.vlan.count, MAX_VLAN_TAGS);
  assert.ok((pkt.layers & LayerBit.ethernet) !== 0);
  // The payload stays the whole frame, as before the tags were read.
  assert.equal(pkt.payloadOffset, 0);
  assert.equal(pkt.payloadLen, 14 + 4 * (MAX_VLAN_TAGS + 1));
});

Deno.test("decodeEthernet() leaves an 802.3 length field and unknown EtherTypes as payload", () => {
  for (const type of [0x0026, 0x88cc]) {
    const pkt = decodeBytes(encodeEthernet({ type }, new Uint8Array(46)), 1);
    assert.equal(pkt.problem, null);
    assert.equal(pkt.layers, LayerBit.ethernet);
    assert.equal(pkt.payloadOffset, 14);
    assert.equal(pkt.payloadLen, 46);
    assert.equal(
      (packetToJson(pkt).eth as { type: string }).type,
      type === 0x88cc ? "0x88cc" : "0x0026",
    );
  }
});

Deno.test("decodeEthernet() truncation sweep: every prefix of the header is ethernet.truncated", () => {
  for (let n = 0; n < 14; n++) {
    const pkt = decodeBytes(DNS_RESPONSE, 1, { caplen: n });
    assert.deepStrictEqual(pkt.problem, {
      kind: "truncated",
      layer: "ethernet",
      required: 14,
      available: n,
      offset: 0,
    });
    assert.equal(pkt.layers, 0);
  }
});

Deno.test("decodeVlanTags() truncation sweep: every prefix of a tag is vlan.truncated", () => {
  for (let n = 14; n < 22; n++) {
    const pkt = decodeBytes(QINQ_ARP, 1, { caplen: n });
    const at = n < 18 ? 14 : 18;
    assert.deepStrictEqual(pkt.problem, {
      kind: "truncated",
      layer: "vlan",
      required: 4,
      available: n - at,
      offset: at,
    });
    assert.ok((pkt.layers & LayerBit.ethernet) !== 0);
  }
});

Deno.test("decodeEthernet() bounds the IPv4 payload by the total length, not the padding", () => {
  const udp = encodeUdp({ srcPort: 1, dstPort: 2 }, hex("41"));
  const ip = encodeIpv4({ protocol: 17, src: 0x0a000001, dst: 0x0a000002 }, udp);
  const frame = concat(encodeEthernet({ type: 0x0800 }, ip), new Uint8Array(60 - 14 - ip.length));
  const pkt = decodeBytes(frame, 1);
  assert.equal(pkt.problem, null);
  assert.equal(pkt.payloadLen, 1);
  assert.equal(pkt.caplen, 60);
});
