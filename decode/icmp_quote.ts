/**
 * The IP header (and first 8 bytes after it) that an ICMP error message quotes.
 *
 * @module
 */
import type { IcmpQuote } from "./packet.ts";
import { isIpv6ExtensionHeader } from "./ipv6.ts";

function word(buf: Uint8Array, p: number): number {
  return (buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!;
}

/**
 * Reads a quoted IPv4 or IPv6 header at `o` into `q`. Returns false when the quote is too
 * short or not IP (then `q` holds nothing useful). Ports are read for TCP and UDP when the
 * quote holds them (and the quoted datagram is not a later fragment), else they are 0.
 */
export function decodeIcmpQuote(
  buf: Uint8Array,
  o: number,
  end: number,
  q: IcmpQuote,
): boolean {
  if (end - o < 1) return false;
  const version = buf[o]! >> 4;
  let p: number;
  let proto: number;
  q.srcPort = 0;
  q.dstPort = 0;
  if (version === 4) {
    const hlen = (buf[o]! & 0x0f) << 2;
    if (hlen < 20 || end - o < hlen) return false;
    q.ipVersion = 4;
    proto = buf[o + 9]!;
    q.src[0] = word(buf, o + 12);
    q.src[1] = q.src[2] = q.src[3] = 0;
    q.dst[0] = word(buf, o + 16);
    q.dst[1] = q.dst[2] = q.dst[3] = 0;
    p = o + hlen;
    if ((((buf[o + 6]! << 8) | buf[o + 7]!) & 0x1fff) !== 0) {
      q.protocol = proto;
      return true;
    }
  } else if (version === 6) {
    if (end - o < 40) return false;
    q.ipVersion = 6;
    for (let i = 0; i < 4; i++) {
      q.src[i] = word(buf, o + 8 + 4 * i);
      q.dst[i] = word(buf, o + 24 + 4 * i);
    }
    proto = buf[o + 6]!;
    p = o + 40;
    for (let n = 0; n < 8 && isIpv6ExtensionHeader(proto); n++) {
      if (end - p < 8) {
        q.protocol = proto;
        return true;
      }
      const len = proto === 44 ? 8 : proto === 51 ? (buf[p + 1]! + 2) << 2 : (buf[p + 1]! + 1) << 3;
      if (proto === 44 && (((buf[p + 2]! << 8) | buf[p + 3]!) & 0xfff8) !== 0) {
        q.protocol = buf[p]!;
        return true;
      }
      proto = buf[p]!;
      p += len;
    }
  } else {
    return false;
  }
  q.protocol = proto;
  if ((proto === 6 || proto === 17) && end - p >= 4) {
    q.srcPort = (buf[p]! << 8) | buf[p + 1]!;
    q.dstPort = (buf[p + 2]! << 8) | buf[p + 3]!;
  }
  return true;
}
