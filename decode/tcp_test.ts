import assert from "node:assert/strict";
import { decodeBytes, encodeEthernet, encodeIpv4, encodeTcp, hex } from "./_test_encode.ts";
import { packetToJson } from "./dump_json.ts";
import { LayerBit } from "./packet.ts";
import { tcpFlagLetters, tcpFlagsTcpdump, tcpOptions } from "./tcp.ts";

// TCP

// benign/ndpi/ftp.pcap frame 4: the FTP server's "220 (vsFTPd 3.0.3)" banner, PSH+ACK with
// NOP, NOP, timestamps.
const FTP_BANNER = hex(
  "c42c030649fe101331f139760800450000483a8740003606a6e15a824649c0a801d40015c606582ac1d3a32397ee8018" +
    "0003bc5300000101080a1267fb543b5798b4323230202876734654506420332e302e33290d0a",
);

function tcpFrame(tcp: Uint8Array) {
  return encodeEthernet({ type: 0x0800 }, encodeIpv4({ protocol: 6, src: 1, dst: 2 }, tcp));
}

Deno.test("decodeTcp() decodes a data segment with its options and payload", () => {
  const pkt = decodeBytes(FTP_BANNER, 1, { tsSec: 1552590234, tsNsec: 948716000 });
  assert.deepStrictEqual(packetToJson(pkt).tcp, {
    src_port: 21,
    dst_port: 50694,
    seq: 1479197139,
    ack: 2737018862,
    hlen: 32,
    flags: "PA",
    window: 3,
    checksum: "0xbc53",
    urgent: 0,
    options: [
      { kind: "nop" },
      { kind: "nop" },
      { kind: "timestamp", tsval: 308804436, tsecr: 995596468 },
    ],
  });
  assert.equal(pkt.payloadOffset, 14 + 20 + 32);
  assert.equal(pkt.payloadLen, 20);
  assert.equal(packetToJson(pkt).payload_preview, "220 (vsFTPd 3.0.3)\r\n");
});

Deno.test("tcpOptions() parses MSS, window scale, SACK-permitted, SACK blocks and unknown kinds", () => {
  const options = hex(
    "020405b4" + "030307" + "0402" + "050a" + "00000064" + "000000c8" + "1e0401ff" + "01" + "00",
  );
  const pkt = decodeBytes(tcpFrame(encodeTcp({ srcPort: 1, dstPort: 2, options })), 1);
  assert.deepStrictEqual(tcpOptions(pkt), [
    { kind: "mss", value: 1460 },
    { kind: "wscale", value: 7 },
    { kind: "sack_permitted" },
    { kind: "sack", blocks: [[100, 200]] },
    { kind: 30, len: 4 },
    { kind: "nop" },
    { kind: "eol" },
  ]);
});

Deno.test("tcpOptions() stops at an option whose length is below 2 or past the header", () => {
  const short = decodeBytes(
    tcpFrame(encodeTcp({ srcPort: 1, dstPort: 2, options: hex("02010000") })),
    1,
  );
  assert.deepStrictEqual(tcpOptions(short), [{ kind: 2, len: 1 }]);
  const past = decodeBytes(
    tcpFrame(encodeTcp({ srcPort: 1, dstPort: 2, options: hex("0828000000000000") })),
    1,
  );
  assert.deepStrictEqual(tcpOptions(past), [{ kind: 8, len: 40 }]);
  assert.equal(past.problem, null, "option problems do not make the header invalid");
});

Deno.test("decodeTcp() rejects a header length below 5 words", () => {
  for (const dataOffset of [0, 4]) {
    const pkt = decodeBytes(tcpFrame(encodeTcp({ srcPort: 1, dstPort: 2, dataOffset })), 1);
    assert.deepStrictEqual(pkt.problem, {
      kind: "invalid",
      layer: "tcp",
      field: "hlen",
      value: dataOffset,
      offset: 34,
    });
    assert.equal(pkt.layers, LayerBit.ethernet | LayerBit.ipv4);
    assert.deepStrictEqual(packetToJson(pkt).anomalies, ["tcp.invalid_hlen"]);
  }
});

Deno.test("decodeTcp() truncation sweep: every prefix of the header is tcp.truncated", () => {
  for (let n = 34; n < 34 + 32; n++) {
    const pkt = decodeBytes(FTP_BANNER, 1, { caplen: n });
    assert.deepStrictEqual(pkt.problem, {
      kind: "truncated",
      layer: "tcp",
      required: n - 34 < 20 ? 20 : 32,
      available: n - 34,
      offset: 34,
    });
    assert.equal(pkt.layers, LayerBit.ethernet | LayerBit.ipv4);
  }
  // Snap length inside the payload: not a problem, the payload is what was captured.
  const snapped = decodeBytes(FTP_BANNER, 1, { caplen: 70 });
  assert.equal(snapped.problem, null);
  assert.equal(snapped.payloadLen, 4);
});

Deno.test("tcpFlagLetters() and tcpFlagsTcpdump() spell flags in their orders", () => {
  assert.equal(tcpFlagLetters(0xff), "FSRPAUEC");
  assert.equal(tcpFlagLetters(0x12), "SA");
  assert.equal(tcpFlagLetters(0), "");
  assert.equal(tcpFlagsTcpdump(0x12), "S.");
  assert.equal(tcpFlagsTcpdump(0x18), "P.");
  assert.equal(tcpFlagsTcpdump(0xc2), "SEW");
  assert.equal(tcpFlagsTcpdump(0), "none");
});
