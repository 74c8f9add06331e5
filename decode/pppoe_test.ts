import assert from "node:assert/strict";
import fc from "fast-check";
import {
  decodeBytes,
  encodeEthernet,
  encodeIpv4,
  encodeIpv6,
  encodePppoe,
  encodeUdp,
  hex,
} from "./_test_encode.ts";
import { packetToJson } from "./dump_json.ts";
import { LayerBit } from "./packet.ts";

// PPPoE

// decoder/suricata-verify/bug-4810/pppoe-session-http.pcap frame 4: HTTP GET over a PPPoE
// session whose PPP protocol field is compressed to one byte (0x21).
const PPPOE_HTTP = hex(
  "000c2939f3c3000c29208ea188641100002d00822145000081000040004006ed950a6400008efab383deb50050d4bd76" +
    "55502bc8dd80180202e5eb00000101080acbae9275e1c6bc4f474554202f20485454502f312e310d0a486f73743a2077" +
    "77772e676f6f676c652e6e6c0d0a557365722d4167656e743a206375726c2f372e37362e310d0a4163636570743a202a" +
    "2f2a0d0a0d0a",
);

Deno.test("decodePppoeSession() decodes a compressed PPP protocol field and the IPv4 inside", () => {
  const pkt = decodeBytes(PPPOE_HTTP, 1);
  const json = packetToJson(pkt);
  assert.deepStrictEqual(json.pppoe, { session_id: 45, ppp_protocol: "0x0021" });
  assert.deepStrictEqual([json.payload_len, (json.ip as { src: string }).src], [77, "10.100.0.0"]);
  assert.equal(pkt.layers, LayerBit.ethernet | LayerBit.pppoe | LayerBit.ipv4 | LayerBit.tcp);
  assert.equal(pkt.tcp.dstPort, 80);
  assert.equal(pkt.l3Offset, 14 + 6 + 1);
});

Deno.test("decodePppoeSession() decodes IPv6 and bounds the frame by the PPPoE length", () => {
  const v6 = encodeIpv6(
    { nextHeader: 17, src: [0x20010db8, 0, 0, 1], dst: [0x20010db8, 0, 0, 2] },
    encodeUdp({ srcPort: 1, dstPort: 2 }),
  );
  const pkt = decodeBytes(
    encodeEthernet({ type: 0x8864 }, encodePppoe({ sessionId: 0xbeef, pppProtocol: 0x0057 }, v6)),
    1,
  );
  assert.equal(pkt.problem, null);
  assert.equal(pkt.pppoe.sessionId, 0xbeef);
  assert.ok((pkt.layers & LayerBit.udp) !== 0);
  // LCP (0xc021) is left as payload.
  const lcp = decodeBytes(
    encodeEthernet(
      { type: 0x8864 },
      encodePppoe({ sessionId: 1, pppProtocol: 0xc021 }, hex("0101000a")),
    ),
    1,
  );
  assert.equal(lcp.layers, LayerBit.ethernet | LayerBit.pppoe);
  assert.equal(lcp.payloadLen, 4);
});

Deno.test("decodePppoeSession() rejects a version/type other than 0x11", () => {
  const frame = encodeEthernet(
    { type: 0x8864 },
    encodePppoe({ sessionId: 1, pppProtocol: 0x0021 }, new Uint8Array(20)),
  );
  frame[14] = 0x21;
  assert.deepStrictEqual(decodeBytes(frame, 1).problem, {
    kind: "invalid",
    layer: "pppoe",
    field: "version",
    value: 0x21,
    offset: 14,
  });
});

Deno.test("decodePppoeSession() truncation sweep: header and protocol field", () => {
  const frame = encodeEthernet(
    { type: 0x8864 },
    encodePppoe({ sessionId: 1, pppProtocol: 0x0057 }),
  );
  for (let n = 14; n < 14 + 8; n++) {
    assert.deepStrictEqual(decodeBytes(frame, 1, { caplen: n }).problem, {
      kind: "truncated",
      layer: "pppoe",
      required: n - 14 < 7 ? 7 : 8,
      available: n - 14,
      offset: 14,
    });
  }
});

Deno.test("decodePppoeSession() gives back encoded session ids and protocols", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 0xffff }),
      fc.boolean(),
      fc.uint8Array({ maxLength: 30 }),
      (sessionId, compressed, payload) => {
        const ip = encodeIpv4({ protocol: 253, src: 1, dst: 2 }, payload);
        const pkt = decodeBytes(
          encodeEthernet(
            { type: 0x8864 },
            encodePppoe({ sessionId, pppProtocol: 0x21, compressed }, ip),
          ),
          1,
        );
        assert.equal(pkt.problem, null);
        assert.deepStrictEqual([pkt.pppoe.sessionId, pkt.pppoe.pppProtocol], [sessionId, 0x21]);
        assert.equal(pkt.payloadLen, payload.length);
      },
    ),
  );
});
