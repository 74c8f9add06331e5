/**
 * IPv6 (RFC 8200) with its extension headers: hop-by-hop (0), routing (43), fragment (44),
 * destination options (60), AH (51), mobility (135), HIP (139), shim6 (140); no next
 * header (59) ends the chain.
 *
 * @module
 */
import { LayerBit, type Packet } from "./packet.ts";
import { setInvalid, setTruncated } from "./_problem.ts";
import { viewOf } from "./_view.ts";
import { decodeTransport } from "./transport.ts";
import { decodeTcp } from "./tcp.ts";
import { decodeUdp } from "./udp.ts";

// V8 folds a module's own constants into its code but reads an exported or imported binding
// from its cell, with a check for the temporal dead zone, at every use: the hot code uses
// these module-private copies.
const HEADER_LEN = 40;
const FRAGMENT_BIT = LayerBit.fragment;
const IPV6_BIT = LayerBit.ipv6;
/** Bytes of the fixed IPv6 header. */
export const IPV6_HEADER_LEN = HEADER_LEN;
const VERSION_TC_FLOW = 0;
const PAYLOAD_LEN = 4;
const SRC = 8;
const DST = 24;
/** Extension headers followed at most; a longer chain is an anomaly (`ipv6.invalid_ext_chain`). */
export const MAX_IPV6_EXT_HEADERS = 16;

/** IPv6 next-header values of extension headers. */
export const Ipv6Ext = {
  hopByHop: 0,
  routing: 43,
  fragment: 44,
  ah: 51,
  noNext: 59,
  destination: 60,
  mobility: 135,
  hip: 139,
  shim6: 140,
} as const;

/** True for the next-header values that are extension headers pcap_ts walks. */
export function isIpv6ExtensionHeader(next: number): boolean {
  return next === 0 || next === 43 || next === 44 || next === 51 ||
    next === 60 ||
    next === 135 || next === 139 || next === 140;
}

/**
 * Decodes an IPv6 header at `o`, its extension headers and the transport header after them.
 * The datagram ends at `o + 40 + payload length` when the capture holds more (padding); a
 * payload length of 0 followed by a hop-by-hop header (jumbogram, BIG TCP) means "up to
 * `end`". A fragment
 * header fills `ip.id`, `ip.fragOffset`, `ip.moreFragments` and sets
 * {@link LayerBit.fragment}.
 */
export function decodeIpv6(
  buf: Uint8Array,
  o: number,
  end: number,
  pkt: Packet,
): void {
  const avail = end - o;
  if (avail < HEADER_LEN) {
    setTruncated(pkt, "ipv6", HEADER_LEN, avail, o);
    return;
  }
  // The fixed header as big-endian words: one bounds-checked read each.
  const v = viewOf(buf);
  const first = v.getUint32(o + VERSION_TC_FLOW);
  if (first >>> 28 !== 6) {
    setInvalid(pkt, "ipv6", "version", first >>> 28, o);
    return;
  }
  const ip = pkt.ip;
  const w1 = v.getUint32(o + PAYLOAD_LEN); // payload length, next header, hop limit
  const payloadLen = w1 >>> 16;
  ip.version = 6;
  ip.tos = (first >>> 20) & 0xff;
  ip.flowLabel = first & 0xfffff;
  ip.totalLen = HEADER_LEN + payloadLen;
  ip.id = 0;
  ip.dontFragment = false;
  ip.moreFragments = false;
  ip.fragOffset = 0;
  ip.ttl = w1 & 0xff;
  ip.checksum = 0;
  const src = ip.src, dst = ip.dst;
  src[0] = v.getUint32(o + SRC);
  src[1] = v.getUint32(o + SRC + 4);
  src[2] = v.getUint32(o + SRC + 8);
  src[3] = v.getUint32(o + SRC + 12);
  dst[0] = v.getUint32(o + DST);
  dst[1] = v.getUint32(o + DST + 4);
  dst[2] = v.getUint32(o + DST + 8);
  dst[3] = v.getUint32(o + DST + 12);
  ip.optionsOffset = o + HEADER_LEN;
  ip.optionsLen = 0;
  ip.extCount = 0;
  let next = (w1 >>> 8) & 0xff;
  ip.protocol = next;
  ip.headerLen = HEADER_LEN;
  pkt.layers |= IPV6_BIT;
  pkt.l3Offset = o;
  // Payload length 0 with a hop-by-hop header first: a jumbogram (RFC 2675) or a BIG TCP
  // segment, whose length is in a hop-by-hop option; the capture is all we know. Without
  // one, the payload is empty.
  let ipEnd = end;
  if (payloadLen !== 0 || next !== Ipv6Ext.hopByHop) {
    if (o + HEADER_LEN + payloadLen < end) {
      ipEnd = o + HEADER_LEN + payloadLen;
    }
  }
  let p = o + HEADER_LEN;
  pkt.payloadOffset = p;
  pkt.payloadLen = ipEnd - p;
  let fragment = false;
  let n = 0;
  while (isIpv6ExtensionHeader(next)) {
    if (n === MAX_IPV6_EXT_HEADERS) {
      setInvalid(pkt, "ipv6", "ext_chain", n, p);
      return;
    }
    if (ipEnd - p < 8) {
      setTruncated(pkt, "ipv6", 8, ipEnd - p, p);
      return;
    }
    let len: number;
    if (next === 44) {
      len = 8;
      const fo = (buf[p + 2]! << 8) | buf[p + 3]!;
      ip.fragOffset = fo & 0xfff8;
      ip.moreFragments = (fo & 1) !== 0;
      ip.id = v.getUint32(p + 4);
      fragment = true;
    } else if (next === 51) {
      len = (buf[p + 1]! + 2) << 2;
    } else {
      len = (buf[p + 1]! + 1) << 3;
    }
    if (ipEnd - p < len) {
      setTruncated(pkt, "ipv6", len, ipEnd - p, p);
      return;
    }
    if (n < ip.extTypes.length) ip.extTypes[n] = next;
    n++;
    ip.extCount = n < ip.extTypes.length ? n : ip.extTypes.length;
    next = buf[p]!;
    p += len;
    ip.protocol = next;
    ip.headerLen = p - o;
    ip.optionsLen = p - o - HEADER_LEN;
    pkt.payloadOffset = p;
    pkt.payloadLen = ipEnd - p;
  }
  // An atomic fragment (RFC 6946) is a whole datagram that carries a fragment header.
  if (fragment && (ip.fragOffset !== 0 || ip.moreFragments)) {
    pkt.layers |= FRAGMENT_BIT;
    if (ip.fragOffset === 0) decodeTransport(buf, p, ipEnd, next, pkt, true);
    return;
  }
  // TCP and UDP straight to their decoders, as in decodeIpv4.
  if (next === 6) decodeTcp(buf, p, ipEnd, pkt);
  else if (next === 17) decodeUdp(buf, p, ipEnd, pkt);
  else decodeTransport(buf, p, ipEnd, next, pkt, false);
}
