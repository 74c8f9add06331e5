import assert from "node:assert/strict";
import {
  decodeBytes,
  encodeEthernet,
  encodeIpv4,
  encodeIpv6,
  encodeTcp,
  encodeUdp,
  hex,
} from "./_test_encode.ts";
import { packetToJson } from "./dump_json.ts";
import { packetToText } from "./dump_text.ts";

const T = { tsSec: 1569642832, tsNsec: 104000999 }; // 2019-09-28 03:53:52.104000999 UTC

Deno.test("packetToText() prints a TCP segment like tcpdump -tttt -S", () => {
  const tcp = encodeTcp(
    { srcPort: 80, dstPort: 29626, seq: 942766962, ack: 3355730768, flags: 0x18, window: 64240 },
    new Uint8Array(1360),
  );
  const frame = encodeEthernet(
    { type: 0x0800, tags: [{ tpid: 0x8100, id: 10 }] },
    encodeIpv4({ protocol: 6, src: 0xb7e8e7ac, dst: 0xc0a86086 }, tcp),
  );
  assert.equal(
    packetToText(decodeBytes(frame, 1, T)),
    "2019-09-28 03:53:52.104000 vlan 10, IP 183.232.231.172.80 > 192.168.96.134.29626: " +
      "Flags [P.], seq 942766962:942768322, ack 3355730768, win 64240, length 1360",
  );
  const syn = encodeEthernet(
    { type: 0x0800 },
    encodeIpv4(
      { protocol: 6, src: 1, dst: 2 },
      encodeTcp({ srcPort: 1, dstPort: 2, seq: 5, flags: 0x02 }),
    ),
  );
  assert.match(packetToText(decodeBytes(syn, 1, T)), /Flags \[S\], seq 5, win 0, length 0$/);
});

Deno.test("packetToText() prints UDP over IPv6, fragments and anomalies", () => {
  const v6 = encodeIpv6(
    { nextHeader: 17, src: [0x20010db8, 0, 0, 1], dst: [0x20010db8, 0, 0, 2] },
    encodeUdp({ srcPort: 53, dstPort: 4000 }, hex("0102")),
  );
  assert.equal(
    packetToText(decodeBytes(encodeEthernet({ type: 0x86dd }, v6), 1, T)),
    "2019-09-28 03:53:52.104000 IP6 2001:db8::1.53 > 2001:db8::2.4000: UDP, length 2",
  );
  const frag = encodeIpv4(
    { protocol: 17, src: 1, dst: 2, id: 77, fragOffset: 1480 },
    new Uint8Array(100),
  );
  assert.equal(
    packetToText(decodeBytes(frag, 101, T)),
    "2019-09-28 03:53:52.104000 IP 0.0.0.1 > 0.0.0.2: udp (frag 77:100@1480), length 100",
  );
  const bad = encodeIpv4(
    { protocol: 6, src: 1, dst: 2 },
    encodeTcp({ srcPort: 1, dstPort: 2, dataOffset: 3 }),
  );
  assert.equal(
    packetToText(decodeBytes(bad, 101, T)),
    "2019-09-28 03:53:52.104000 IP 0.0.0.1 > 0.0.0.2: tcp, length 20 [anomalies: tcp.invalid_hlen]",
  );
  assert.equal(
    packetToText(decodeBytes(hex("0102"), 1, T)),
    "2019-09-28 03:53:52.104000 ethernet, length 2 [anomalies: ethernet.truncated]",
  );
});

Deno.test("packetToJson() never fails on out-of-range timestamps and keeps microseconds", () => {
  const frame = hex("45");
  assert.equal(packetToJson(decodeBytes(frame, 101, T)).ts, "2019-09-28T03:53:52.104000Z");
  assert.equal(
    packetToJson(decodeBytes(frame, 101, { tsSec: 0, tsNsec: 999999999 })).ts,
    "1970-01-01T00:00:00.999999Z",
  );
  const huge = packetToJson(decodeBytes(frame, 101, { tsSec: 1e300, tsNsec: 5000 }));
  assert.equal(huge.ts, "1e+300.000005");
  assert.equal(typeof packetToText(decodeBytes(frame, 101, { tsSec: NaN, tsNsec: NaN })), "string");
});
