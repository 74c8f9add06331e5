/**
 * ICMPv6 (RFC 4443): type, code, checksum, echo id/seq, and the quote of error messages.
 *
 * @module
 */
import { LayerBit, type Packet } from "./packet.ts";
import { setTruncated } from "./_problem.ts";
import { decodeIcmpQuote } from "./icmp_quote.ts";
import { ICMP_HEADER_LEN } from "./icmpv4.ts";

/** ICMPv6 types pcap_ts names. */
export const Icmpv6Type = {
  destinationUnreachable: 1,
  packetTooBig: 2,
  timeExceeded: 3,
  parameterProblem: 4,
  echoRequest: 128,
  echoReply: 129,
  routerSolicitation: 133,
  routerAdvertisement: 134,
  neighborSolicitation: 135,
  neighborAdvertisement: 136,
  redirect: 137,
} as const;

/** True for the ICMPv6 error types that quote the offending datagram (1 to 4). */
export function isIcmpv6Error(type: number): boolean {
  return type >= 1 && type <= 4;
}

/** Decodes an ICMPv6 header at `o` (`icmpv6.truncated` below 8 bytes). */
export function decodeIcmpv6(buf: Uint8Array, o: number, end: number, pkt: Packet): void {
  const avail = end - o;
  if (avail < ICMP_HEADER_LEN) {
    setTruncated(pkt, "icmpv6", ICMP_HEADER_LEN, avail, o);
    return;
  }
  const icmp = pkt.icmp;
  const type = buf[o]!;
  icmp.type = type;
  icmp.code = buf[o + 1]!;
  icmp.checksum = (buf[o + 2]! << 8) | buf[o + 3]!;
  if (type === 128 || type === 129) {
    icmp.id = (buf[o + 4]! << 8) | buf[o + 5]!;
    icmp.seq = (buf[o + 6]! << 8) | buf[o + 7]!;
  } else {
    icmp.id = 0;
    icmp.seq = 0;
  }
  pkt.layers |= LayerBit.icmpv6;
  pkt.l4Offset = o;
  pkt.payloadOffset = o + ICMP_HEADER_LEN;
  pkt.payloadLen = avail - ICMP_HEADER_LEN;
  if (isIcmpv6Error(type) && decodeIcmpQuote(buf, o + ICMP_HEADER_LEN, end, icmp.quoted)) {
    pkt.layers |= LayerBit.icmpQuote;
  }
}
