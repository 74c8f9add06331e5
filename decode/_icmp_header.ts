/**
 * The part of ICMPv4 and ICMPv6 decoding that is the same for both: the 8-byte header
 * (type, code, checksum, echo id/seq), the payload, and the quote of an error message.
 *
 * @module
 */
import { LayerBit, type Packet } from "./packet.ts";
import { decodeIcmpQuote } from "./icmp_quote.ts";

/** Bytes of an ICMP header (type, code, checksum and the 4-byte rest of header). */
export const ICMP_HEADER_LEN = 8;

/**
 * Fills `pkt.icmp` from a header at `o` known to be complete (`end - o >= 8`). `isEcho` and
 * `isError` classify the type; `layer` is `LayerBit.icmpv4` or `LayerBit.icmpv6`.
 */
export function fillIcmpHeader(
  buf: Uint8Array,
  o: number,
  end: number,
  pkt: Packet,
  layer: number,
  isEcho: (type: number) => boolean,
  isError: (type: number) => boolean,
): void {
  const icmp = pkt.icmp;
  const type = buf[o]!;
  icmp.type = type;
  icmp.code = buf[o + 1]!;
  icmp.checksum = (buf[o + 2]! << 8) | buf[o + 3]!;
  if (isEcho(type)) {
    icmp.id = (buf[o + 4]! << 8) | buf[o + 5]!;
    icmp.seq = (buf[o + 6]! << 8) | buf[o + 7]!;
  } else {
    icmp.id = 0;
    icmp.seq = 0;
  }
  pkt.layers |= layer;
  pkt.l4Offset = o;
  pkt.payloadOffset = o + ICMP_HEADER_LEN;
  pkt.payloadLen = end - o - ICMP_HEADER_LEN;
  if (isError(type) && decodeIcmpQuote(buf, o + ICMP_HEADER_LEN, end, icmp.quoted)) {
    pkt.layers |= LayerBit.icmpQuote;
  }
}
