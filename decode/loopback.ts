/**
 * BSD loopback encapsulation: DLT_NULL (0, address family in the capturing host's byte
 * order) and DLT_LOOP (108, network byte order).
 *
 * @module
 */
import { LayerBit, type Packet } from "./packet.ts";
import { setInvalid, setTruncated } from "./_problem.ts";
import { decodeIpv4 } from "./ipv4.ts";
import { decodeIpv6 } from "./ipv6.ts";

/** Bytes of the loopback header (a 32-bit address family). */
export const LOOPBACK_HEADER_LEN = 4;

/** Address family values: AF_INET 2; AF_INET6 is 24 (NetBSD, OpenBSD), 28 (FreeBSD), 30 (macOS). */
export const LoopbackFamily = { inet: 2, inet6Bsd: 24, inet6FreeBsd: 28, inet6Darwin: 30 } as const;

/**
 * Decodes a loopback header at `o` and the IP datagram after it. With `networkOrder` false
 * (DLT_NULL) the family may be in either byte order: a family below 2^16 has two zero bytes
 * at the big end, which tells the order. Unknown families are `loopback.invalid_family`.
 */
export function decodeLoopback(
  buf: Uint8Array,
  o: number,
  end: number,
  pkt: Packet,
  networkOrder: boolean,
): void {
  if (end - o < LOOPBACK_HEADER_LEN) {
    setTruncated(pkt, "loopback", LOOPBACK_HEADER_LEN, end - o, o);
    return;
  }
  const be = ((buf[o]! << 24) | (buf[o + 1]! << 16) | (buf[o + 2]! << 8) | buf[o + 3]!) >>> 0;
  let family = be;
  if (!networkOrder && (buf[o]! !== 0 || buf[o + 1]! !== 0)) {
    // Little-endian writer: the low byte comes first.
    family = ((buf[o + 3]! << 24) | (buf[o + 2]! << 16) | (buf[o + 1]! << 8) | buf[o]!) >>> 0;
  }
  pkt.loopbackFamily = family;
  pkt.layers |= LayerBit.loopback;
  const p = o + LOOPBACK_HEADER_LEN;
  pkt.payloadOffset = p;
  pkt.payloadLen = end - p;
  if (family === 2) decodeIpv4(buf, p, end, pkt);
  else if (family === 24 || family === 28 || family === 30) decodeIpv6(buf, p, end, pkt);
  else setInvalid(pkt, "loopback", "family", family, o);
}
