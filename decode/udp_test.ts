import assert from "node:assert/strict";
import { decodeBytes, encodeEthernet, encodeIpv4, encodeUdp, hex } from "./_test_encode.ts";
import { LayerBit } from "./packet.ts";

// UDP

function udpFrame(udp: Uint8Array) {
  return encodeEthernet({ type: 0x0800 }, encodeIpv4({ protocol: 17, src: 1, dst: 2 }, udp));
}

Deno.test("decodeUdp() decodes ports, length, checksum and bounds the payload by the length", () => {
  // IP payload of 12 bytes, UDP length 10: 2 payload bytes, 2 trailing bytes ignored.
  const pkt = decodeBytes(
    udpFrame(
      encodeUdp({ srcPort: 5353, dstPort: 53, length: 10, checksum: 0xabcd }, hex("41424344")),
    ),
    1,
  );
  assert.equal(pkt.problem, null);
  assert.equal(pkt.layers, LayerBit.ethernet | LayerBit.ipv4 | LayerBit.udp);
  assert.deepStrictEqual(
    [pkt.udp.srcPort, pkt.udp.dstPort, pkt.udp.length, pkt.udp.checksum],
    [5353, 53, 10, 0xabcd],
  );
  assert.equal(pkt.payloadLen, 2);
  assert.equal(pkt.l4Offset, 34);
});

Deno.test("decodeUdp() rejects a length below 8", () => {
  const pkt = decodeBytes(udpFrame(encodeUdp({ srcPort: 1, dstPort: 2, length: 7 }, hex("00"))), 1);
  assert.deepStrictEqual(pkt.problem, {
    kind: "invalid",
    layer: "udp",
    field: "len",
    value: 7,
    offset: 34,
  });
  assert.ok((pkt.layers & LayerBit.udp) !== 0, "ports stay readable");
  assert.equal(pkt.payloadLen, 0);
});

Deno.test("decodeUdp() truncation sweep: every prefix of the header is udp.truncated", () => {
  const frame = udpFrame(encodeUdp({ srcPort: 1, dstPort: 2 }, hex("00")));
  for (let n = 34; n < 42; n++) {
    assert.deepStrictEqual(decodeBytes(frame, 1, { caplen: n }).problem, {
      kind: "truncated",
      layer: "udp",
      required: 8,
      available: n - 34,
      offset: 34,
    });
  }
});
