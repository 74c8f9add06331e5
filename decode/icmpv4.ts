/**
 * ICMPv4 (RFC 792): type, code, checksum, echo id/seq, and the quote of error messages.
 *
 * @module
 */
import { LayerBit, type Packet } from "./packet.ts";
import { setTruncated } from "./_problem.ts";
import { fillIcmpHeader, ICMP_HEADER_LEN } from "./_icmp_header.ts";

export { ICMP_HEADER_LEN };

/** ICMPv4 types pcap_ts names. */
export const Icmpv4Type = {
  echoReply: 0,
  destinationUnreachable: 3,
  sourceQuench: 4,
  redirect: 5,
  echoRequest: 8,
  timeExceeded: 11,
  parameterProblem: 12,
  timestampRequest: 13,
  timestampReply: 14,
} as const;

/** True for the ICMPv4 error types that quote the offending datagram (3, 4, 5, 11, 12). */
export function isIcmpv4Error(type: number): boolean {
  return type === 3 || type === 4 || type === 5 || type === 11 || type === 12;
}

/** True for the ICMPv4 types carrying an identifier and sequence: echo, timestamp (0, 8, 13, 14). */
function isIcmpv4Echo(type: number): boolean {
  return type === 0 || type === 8 || type === 13 || type === 14;
}

/** Decodes an ICMPv4 header at `o` (`icmpv4.truncated` below 8 bytes). */
export function decodeIcmpv4(buf: Uint8Array, o: number, end: number, pkt: Packet): void {
  const avail = end - o;
  if (avail < ICMP_HEADER_LEN) {
    setTruncated(pkt, "icmpv4", ICMP_HEADER_LEN, avail, o);
    return;
  }
  fillIcmpHeader(buf, o, end, pkt, LayerBit.icmpv4, isIcmpv4Echo, isIcmpv4Error);
}
