/**
 * Dispatch from an IP protocol number to the transport decoder.
 *
 * @module
 */
import type { Packet } from "./packet.ts";
import { decodeTcp, TCP_HEADER_LEN } from "./tcp.ts";
import { decodeUdp, UDP_HEADER_LEN } from "./udp.ts";
import { decodeIcmpv4, ICMP_HEADER_LEN } from "./icmpv4.ts";
import { decodeIcmpv6 } from "./icmpv6.ts";

/** IP protocol numbers pcap_ts knows by name; others stay numbers. */
export const IpProtocol = {
  icmpv4: 1,
  igmp: 2,
  ipip: 4,
  tcp: 6,
  udp: 17,
  ipv6: 41,
  gre: 47,
  esp: 50,
  ah: 51,
  icmpv6: 58,
  sctp: 132,
} as const;

/**
 * Decodes the transport header of protocol `proto` at `o` (TCP, UDP, ICMPv4, ICMPv6; other
 * protocols leave the bytes as payload). With `firstFragment`, the bytes are the first
 * fragment of a datagram: a header that does not fit is skipped quietly instead of being
 * reported as truncated.
 */
export function decodeTransport(
  buf: Uint8Array,
  o: number,
  end: number,
  proto: number,
  pkt: Packet,
  firstFragment: boolean,
): void {
  switch (proto) {
    case 6:
      if (
        firstFragment &&
        (end - o < TCP_HEADER_LEN || end - o < (buf[o + 12]! >> 4) << 2)
      ) return;
      decodeTcp(buf, o, end, pkt);
      return;
    case 17:
      if (firstFragment && end - o < UDP_HEADER_LEN) return;
      decodeUdp(buf, o, end, pkt, !firstFragment);
      return;
    case 1:
      if (firstFragment && end - o < ICMP_HEADER_LEN) return;
      decodeIcmpv4(buf, o, end, pkt);
      return;
    case 58:
      if (firstFragment && end - o < ICMP_HEADER_LEN) return;
      decodeIcmpv6(buf, o, end, pkt);
      return;
  }
}
