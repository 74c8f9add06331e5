/**
 * ICMPv6 (RFC 4443): type, code, checksum, echo id/seq, and the quote of error messages.
 *
 * @module
 */
import { LayerBit, type Packet } from "./packet.ts";
import { setTruncated } from "./_problem.ts";
import { fillIcmpHeader, ICMP_HEADER_LEN } from "./_icmp_header.ts";

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

/** True for the ICMPv6 types carrying an identifier and sequence: echo (128, 129). */
function isIcmpv6Echo(type: number): boolean {
  return type === 128 || type === 129;
}

/** Decodes an ICMPv6 header at `o` (`icmpv6.truncated` below 8 bytes). */
export function decodeIcmpv6(buf: Uint8Array, o: number, end: number, pkt: Packet): void {
  const avail = end - o;
  if (avail < ICMP_HEADER_LEN) {
    setTruncated(pkt, "icmpv6", ICMP_HEADER_LEN, avail, o);
    return;
  }
  fillIcmpHeader(buf, o, end, pkt, LayerBit.icmpv6, isIcmpv6Echo, isIcmpv6Error);
}
