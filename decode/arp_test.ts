import assert from "node:assert/strict";
import { decodeBytes, encodeArp, encodeEthernet, hex } from "./_test_encode.ts";
import { packetToJson } from "./dump_json.ts";
import { packetToText } from "./dump_text.ts";
import { LayerBit } from "./packet.ts";

// ARP

// decoder/suricata-verify/decode-arp-1/input.pcap frame 1: ARP request (probe, target 0.0.0.0).
const ARP_REQUEST = hex(
  "000000000003989096a044ea08060001080006040001989096a044eac0a8a90400000000000000000000",
);

Deno.test("decodeArp() decodes an Ethernet/IPv4 request", () => {
  const pkt = decodeBytes(ARP_REQUEST, 1, { tsSec: 1671118386, tsNsec: 16331000 });
  assert.deepStrictEqual(packetToJson(pkt), {
    ts: "2022-12-15T15:33:06.016331Z",
    caplen: 42,
    len: 42,
    link: "ethernet",
    eth: { src: "98:90:96:a0:44:ea", dst: "00:00:00:00:00:03", type: "0x0806" },
    vlan: [],
    arp: {
      op: 1,
      sender_mac: "98:90:96:a0:44:ea",
      sender_ip: "192.168.169.4",
      target_mac: "00:00:00:00:00:00",
      target_ip: "0.0.0.0",
    },
    payload_len: 0,
    payload_preview: "",
    anomalies: [],
  });
  assert.equal(
    packetToText(pkt),
    "2022-12-15 15:33:06.016331 ARP, Request who-has 0.0.0.0 tell 192.168.169.4, length 28",
  );
});

Deno.test("decodeArp() decodes a reply and prints it as is-at", () => {
  const arp = encodeArp({
    op: 2,
    senderMac: hex("020000000001"),
    senderIp: 0x0a000001,
    targetMac: hex("020000000002"),
    targetIp: 0x0a000002,
  });
  const pkt = decodeBytes(encodeEthernet({ type: 0x0806 }, arp), 1);
  assert.equal(pkt.arp.senderIp, 0x0a000001);
  assert.match(packetToText(pkt), /ARP, Reply 10\.0\.0\.1 is-at 02:00:00:00:00:01, length 28$/);
});

Deno.test("decodeArp() keeps only the fixed fields of other hardware/protocol types", () => {
  const arp = hex("0006" + "86dd" + "0610" + "0001" + "00".repeat(44));
  const pkt = decodeBytes(encodeEthernet({ type: 0x0806 }, arp), 1);
  assert.equal(pkt.problem, null);
  assert.deepStrictEqual(packetToJson(pkt).arp, {
    op: 1,
    hardware_type: 6,
    protocol_type: "0x86dd",
  });
  assert.equal(pkt.arp.senderIp, 0);
});

Deno.test("decodeArp() truncation sweep: fixed part, then Ethernet/IPv4 addresses", () => {
  for (let n = 14; n < 42; n++) {
    const pkt = decodeBytes(ARP_REQUEST, 1, { caplen: n });
    assert.deepStrictEqual(pkt.problem, {
      kind: "truncated",
      layer: "arp",
      required: n - 14 < 8 ? 8 : 28,
      available: n - 14,
      offset: 14,
    });
    assert.equal(pkt.layers, LayerBit.ethernet);
  }
});
