/**
 * ICMPv4 (RFC 792): type, code, checksum, echo id/seq, and the quote of error messages.
 *
 * @module
 */
import { LayerBit, type Packet } from "./packet.ts";
import { setTruncated } from "./_problem.ts";
import { decodeIcmpQuote } from "./icmp_quote.ts";

/** Bytes of an ICMP header (type, code, checksum and the 4-byte rest of header). */
export const ICMP_HEADER_LEN = 8;

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

/** Decodes an ICMPv4 header at `o` (`icmpv4.truncated` below 8 bytes). */
export function decodeIcmpv4(buf: Uint8Array, o: number, end: number, pkt: Packet): void {
  const avail = end - o;
  if (avail < ICMP_HEADER_LEN) {
    setTruncated(pkt, "icmpv4", ICMP_HEADER_LEN, avail, o);
    return;
  }
  const icmp = pkt.icmp;
  const type = buf[o]!;
  icmp.type = type;
  icmp.code = buf[o + 1]!;
  icmp.checksum = (buf[o + 2]! << 8) | buf[o + 3]!;
  if (type === 0 || type === 8 || type === 13 || type === 14) {
    icmp.id = (buf[o + 4]! << 8) | buf[o + 5]!;
    icmp.seq = (buf[o + 6]! << 8) | buf[o + 7]!;
  } else {
    icmp.id = 0;
    icmp.seq = 0;
  }
  pkt.layers |= LayerBit.icmpv4;
  pkt.l4Offset = o;
  pkt.payloadOffset = o + ICMP_HEADER_LEN;
  pkt.payloadLen = avail - ICMP_HEADER_LEN;
  if (isIcmpv4Error(type) && decodeIcmpQuote(buf, o + ICMP_HEADER_LEN, end, icmp.quoted)) {
    pkt.layers |= LayerBit.icmpQuote;
  }
}
