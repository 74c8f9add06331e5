/**
 * IPv4 (RFC 791), with options kept as a byte range and fragments recognised.
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
const HEADER_LEN = 20;
const FRAGMENT_BIT = LayerBit.fragment;
const IPV4_BIT = LayerBit.ipv4;
/** Bytes of an IPv4 header without options. */
export const IPV4_HEADER_LEN = HEADER_LEN;
const VERSION_IHL = 0;
const ID = 4;
const TTL = 8;
const SRC = 12;
const DST = 16;

/**
 * Decodes an IPv4 header at `o` and the transport header after it. `end` is the end of the
 * captured bytes; the datagram itself ends at `o + total length` when that is shorter, so
 * Ethernet padding after short packets is not payload. A total length of 0 (seen on
 * captures taken before TCP segmentation offload splits a segment) means "up to `end`".
 *
 * Malformed options (a length below 2 or past the header) are `ipv4.invalid_option` (value:
 * the option type) and stop decoding there.
 *
 * A fragment (MF set or offset > 0) gets {@link LayerBit.fragment}; its transport header is
 * decoded only for the first fragment and only when it is complete in that fragment.
 */
export function decodeIpv4(
  buf: Uint8Array,
  o: number,
  end: number,
  pkt: Packet,
): void {
  const avail = end - o;
  if (avail < HEADER_LEN) {
    setTruncated(pkt, "ipv4", HEADER_LEN, avail, o);
    return;
  }
  // The 20 fixed bytes as five big-endian words: one bounds-checked read each.
  const v = viewOf(buf);
  const w0 = v.getUint32(o + VERSION_IHL); // version, IHL, TOS, total length
  const vihl = w0 >>> 24;
  if (vihl >> 4 !== 4) {
    setInvalid(pkt, "ipv4", "version", vihl >> 4, o);
    return;
  }
  const hlen = (vihl & 0x0f) << 2;
  if (hlen < HEADER_LEN) {
    setInvalid(pkt, "ipv4", "hlen", vihl & 0x0f, o);
    return;
  }
  if (hlen > avail) {
    setTruncated(pkt, "ipv4", hlen, avail, o);
    return;
  }
  // Every read before the first store (measured slightly faster than interleaving them).
  const w1 = v.getUint32(o + ID); // identification, flags, fragment offset
  const w2 = v.getUint32(o + TTL); // TTL, protocol, checksum
  const srcWord = v.getUint32(o + SRC);
  const dstWord = v.getUint32(o + DST);
  const ip = pkt.ip;
  const totalLen = w0 & 0xffff;
  const flagsFrag = w1 & 0xffff;
  const proto = (w2 >>> 16) & 0xff;
  ip.headerLen = hlen;
  ip.tos = (w0 >>> 16) & 0xff;
  ip.totalLen = totalLen;
  ip.id = w1 >>> 16;
  ip.dontFragment = (flagsFrag & 0x4000) !== 0;
  ip.moreFragments = (flagsFrag & 0x2000) !== 0;
  ip.fragOffset = (flagsFrag & 0x1fff) << 3;
  ip.ttl = w2 >>> 24;
  ip.protocol = proto;
  ip.checksum = w2 & 0xffff;
  ip.flowLabel = 0;
  const src = ip.src, dst = ip.dst;
  src[0] = srcWord;
  dst[0] = dstWord;
  if (ip.version !== 4) {
    src[1] = src[2] = src[3] = 0;
    dst[1] = dst[2] = dst[3] = 0;
  }
  ip.version = 4;
  ip.optionsOffset = o + HEADER_LEN;
  ip.optionsLen = hlen - HEADER_LEN;
  ip.extCount = 0;
  pkt.layers |= IPV4_BIT;
  pkt.l3Offset = o;
  let ipEnd = end;
  if (totalLen !== 0) {
    // Total length 0: segmentation offload, the captured length is all we know.
    if (totalLen < hlen) {
      setInvalid(pkt, "ipv4", "len", totalLen, o);
      pkt.payloadOffset = o + hlen;
      pkt.payloadLen = 0;
      return;
    }
    // Ethernet pads short frames to 60 bytes: the datagram ends at its total length.
    if (o + totalLen < end) ipEnd = o + totalLen;
  }
  pkt.payloadOffset = o + hlen;
  pkt.payloadLen = ipEnd - o - hlen;
  if (hlen > HEADER_LEN) {
    const bad = badOptionAt(buf, o + HEADER_LEN, o + hlen);
    if (bad >= 0) {
      // Hosts drop such datagrams (Linux: ip_options_compile), so the transport layer is
      // not decoded.
      setInvalid(pkt, "ipv4", "option", buf[bad]!, bad);
      return;
    }
  }
  const l4 = o + hlen;
  if ((flagsFrag & 0x3fff) !== 0) {
    pkt.layers |= FRAGMENT_BIT;
    if ((flagsFrag & 0x1fff) === 0) {
      decodeTransport(buf, l4, ipEnd, proto, pkt, true);
    }
    return;
  }
  // TCP and UDP straight to their decoders, not through decodeTransport: V8 then inlines them
  // here, whatever it did with decodeTransport (which it may have compiled too big to inline).
  if (proto === 6) decodeTcp(buf, l4, ipEnd, pkt);
  else if (proto === 17) decodeUdp(buf, l4, ipEnd, pkt);
  else decodeTransport(buf, l4, ipEnd, proto, pkt, false);
}

/**
 * Offset of the first malformed option in `[p, end)` (a length below 2 or past the
 * header), or -1 when all are well formed.
 */
function badOptionAt(buf: Uint8Array, p: number, end: number): number {
  while (p < end) {
    const type = buf[p]!;
    if (type === 0) return -1;
    if (type === 1) {
      p++;
      continue;
    }
    if (p + 1 >= end) return p;
    const len = buf[p + 1]!;
    if (len < 2 || p + len > end) return p;
    p += len;
  }
  return -1;
}

/** One IPv4 option: its type byte, its length (1 for EOL/NOP) and the offset of its data. */
export interface Ipv4Option {
  /** Option type byte (copied flag, class and number). */
  type: number;
  /** Option length in bytes, type and length bytes included (1 for EOL and NOP). */
  len: number;
  /** Offset in `Packet.buf` of the option's value (after type and length). */
  dataOffset: number;
}

/** Names of common IPv4 option types (RFC 791, IANA). */
export const IPV4_OPTION_NAMES: Readonly<Record<number, string>> = {
  0: "eol",
  1: "nop",
  7: "rr",
  68: "ts",
  130: "sec",
  131: "lsrr",
  133: "esec",
  136: "sid",
  137: "ssrr",
  148: "ra",
};

/**
 * Parses the options of the decoded IPv4 header (for the dump; allocates). Stops at EOL, and
 * at a malformed option (length below 2 or past the header), which is returned with the
 * length it claimed so that the dump shows it.
 */
export function ipv4Options(pkt: Packet): Ipv4Option[] {
  const out: Ipv4Option[] = [];
  if ((pkt.layers & IPV4_BIT) === 0) return out;
  const buf = pkt.buf;
  let p = pkt.ip.optionsOffset;
  const end = p + pkt.ip.optionsLen;
  while (p < end) {
    const type = buf[p]!;
    if (type === 0) {
      out.push({ type, len: 1, dataOffset: p + 1 });
      break;
    }
    if (type === 1) {
      out.push({ type, len: 1, dataOffset: p + 1 });
      p++;
      continue;
    }
    const len = p + 1 < end ? buf[p + 1]! : 0;
    out.push({ type, len, dataOffset: p + 2 });
    if (len < 2 || p + len > end) break;
    p += len;
  }
  return out;
}
