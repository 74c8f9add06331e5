/**
 * Decode throughput on hand-built frames: `deno bench decode/decode_bench.ts`. One decode per
 * iteration; packets/s is 1e9 / (ns per iteration).
 */
import { decodeFrame } from "./frame.ts";
import { Packet } from "./packet.ts";
import {
  concat,
  encodeEthernet,
  encodeIpv4,
  encodeIpv6,
  encodeIpv6Ext,
  encodeTcp,
  encodeUdp,
  frameOf,
  hex,
} from "./_test_encode.ts";

const pkt = new Packet();
const TCP4 = frameOf(
  encodeEthernet(
    { type: 0x0800 },
    encodeIpv4(
      { protocol: 6, src: 0x0a000001, dst: 0x0a000002 },
      encodeTcp(
        { srcPort: 443, dstPort: 50000, flags: 0x18, options: hex("0101080a0000000100000002") },
        new Uint8Array(1200),
      ),
    ),
  ),
  1,
);
const UDP4_VLAN = frameOf(
  encodeEthernet(
    { type: 0x0800, tags: [{ tpid: 0x8100, id: 10 }] },
    encodeIpv4(
      { protocol: 17, src: 1, dst: 2 },
      encodeUdp({ srcPort: 53, dstPort: 4000 }, new Uint8Array(60)),
    ),
  ),
  1,
);
const TCP6_EXT = frameOf(
  encodeEthernet(
    { type: 0x86dd },
    encodeIpv6(
      { nextHeader: 0, src: [0x20010db8, 0, 0, 1], dst: [0x20010db8, 0, 0, 2] },
      concat(encodeIpv6Ext(6), encodeTcp({ srcPort: 1, dstPort: 2 }, new Uint8Array(100))),
    ),
  ),
  1,
);

Deno.bench("decodeFrame() Ethernet/IPv4/TCP", { baseline: true }, () => {
  decodeFrame(TCP4, pkt);
});
Deno.bench("decodeFrame() Ethernet/802.1Q/IPv4/UDP", () => {
  decodeFrame(UDP4_VLAN, pkt);
});
Deno.bench("decodeFrame() Ethernet/IPv6/hop-by-hop/TCP", () => {
  decodeFrame(TCP6_EXT, pkt);
});
