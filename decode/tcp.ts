/**
 * TCP (RFC 9293). Options stay a byte range; {@link tcpOptions} parses them on demand.
 *
 * @module
 */
import { LayerBit, type Packet } from "./packet.ts";
import { setInvalid, setTruncated } from "./_problem.ts";
import { viewOf } from "./_view.ts";

// V8 folds a module's own constants into its code but reads an exported or imported binding
// from its cell, with a check for the temporal dead zone, at every use: the hot code uses
// these module-private copies.
const HEADER_LEN = 20;
const TCP_BIT = LayerBit.tcp;
/** Bytes of a TCP header without options. */
export const TCP_HEADER_LEN = HEADER_LEN;
const SRC_PORT = 0;
const SEQ = 4;
const ACK = 8;
const DATA_OFFSET = 12;
const CHECKSUM = 16;

/**
 * Decodes a TCP header at `o`: `tcp.truncated` when shorter than 20 bytes or than its data
 * offset, `tcp.invalid_hlen` when the data offset is below 5 words. The payload runs to `end`.
 */
export function decodeTcp(buf: Uint8Array, o: number, end: number, pkt: Packet): void {
  const avail = end - o;
  if (avail < HEADER_LEN) {
    setTruncated(pkt, "tcp", HEADER_LEN, avail, o);
    return;
  }
  // The 20 fixed bytes as five big-endian words: one bounds-checked read each.
  const v = viewOf(buf);
  const w3 = v.getUint32(o + DATA_OFFSET); // data offset, flags, window
  const words = w3 >>> 28;
  if (words < 5) {
    setInvalid(pkt, "tcp", "hlen", words, o);
    return;
  }
  const hlen = words << 2;
  if (hlen > avail) {
    setTruncated(pkt, "tcp", hlen, avail, o);
    return;
  }
  // Every read before the first store (measured slightly faster than interleaving them).
  const ports = v.getUint32(o + SRC_PORT);
  const seq = v.getUint32(o + SEQ);
  const ack = v.getUint32(o + ACK);
  const w4 = v.getUint32(o + CHECKSUM); // checksum, urgent pointer
  const tcp = pkt.tcp;
  tcp.srcPort = ports >>> 16;
  tcp.dstPort = ports & 0xffff;
  tcp.seq = seq;
  tcp.ack = ack;
  tcp.headerLen = hlen;
  tcp.flags = (w3 >>> 16) & 0xff;
  tcp.window = w3 & 0xffff;
  tcp.checksum = w4 >>> 16;
  tcp.urgent = w4 & 0xffff;
  tcp.optionsOffset = o + HEADER_LEN;
  tcp.optionsLen = hlen - HEADER_LEN;
  pkt.layers |= TCP_BIT;
  pkt.l4Offset = o;
  pkt.payloadOffset = o + hlen;
  pkt.payloadLen = avail - hlen;
}

/** TCP option kinds. */
export const TcpOptionKind = {
  eol: 0,
  nop: 1,
  mss: 2,
  windowScale: 3,
  sackPermitted: 4,
  sack: 5,
  timestamp: 8,
} as const;

/** One parsed TCP option (for the dump). */
export type TcpOption =
  | { kind: "eol" }
  | { kind: "nop" }
  | { kind: "mss"; value: number }
  | { kind: "wscale"; value: number }
  | { kind: "sack_permitted" }
  | { kind: "sack"; blocks: [number, number][] }
  | { kind: "timestamp"; tsval: number; tsecr: number }
  /** Any other kind, or a known kind with a wrong length: kept as kind and length. */
  | { kind: number; len: number };

function u32(buf: Uint8Array, p: number): number {
  return ((buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!) >>> 0;
}

/**
 * Parses the options of the decoded TCP header (allocates: for dumps and reports, not the
 * hot path). Stops after EOL and at an option whose length is below 2 or runs past the
 * header (returned as `{kind, len}`).
 */
export function tcpOptions(pkt: Packet): TcpOption[] {
  const out: TcpOption[] = [];
  if ((pkt.layers & TCP_BIT) === 0) return out;
  const buf = pkt.buf;
  let p = pkt.tcp.optionsOffset;
  const end = p + pkt.tcp.optionsLen;
  while (p < end) {
    const kind = buf[p]!;
    if (kind === 0) {
      out.push({ kind: "eol" });
      break;
    }
    if (kind === 1) {
      out.push({ kind: "nop" });
      p++;
      continue;
    }
    const len = p + 1 < end ? buf[p + 1]! : 0;
    if (len < 2 || p + len > end) {
      out.push({ kind, len });
      break;
    }
    if (kind === 2 && len === 4) {
      out.push({ kind: "mss", value: (buf[p + 2]! << 8) | buf[p + 3]! });
    } else if (kind === 3 && len === 3) {
      out.push({ kind: "wscale", value: buf[p + 2]! });
    } else if (kind === 4 && len === 2) {
      out.push({ kind: "sack_permitted" });
    } else if (kind === 5 && len >= 10 && (len - 2) % 8 === 0) {
      const blocks: [number, number][] = [];
      for (let b = p + 2; b < p + len; b += 8) blocks.push([u32(buf, b), u32(buf, b + 4)]);
      out.push({ kind: "sack", blocks });
    } else if (kind === 8 && len === 10) {
      out.push({ kind: "timestamp", tsval: u32(buf, p + 2), tsecr: u32(buf, p + 6) });
    } else {
      out.push({ kind, len });
    }
    p += len;
  }
  return out;
}

/** TCP flags as letters in the order `FSRPAUEC` (the JSON dump's form), `""` when none. */
export function tcpFlagLetters(flags: number): string {
  let s = "";
  if (flags & 0x01) s += "F";
  if (flags & 0x02) s += "S";
  if (flags & 0x04) s += "R";
  if (flags & 0x08) s += "P";
  if (flags & 0x10) s += "A";
  if (flags & 0x20) s += "U";
  if (flags & 0x40) s += "E";
  if (flags & 0x80) s += "C";
  return s;
}

/** TCP flags as tcpdump prints them (`S.` for SYN+ACK, `none` when none). */
export function tcpFlagsTcpdump(flags: number): string {
  let s = "";
  if (flags & 0x01) s += "F";
  if (flags & 0x02) s += "S";
  if (flags & 0x04) s += "R";
  if (flags & 0x08) s += "P";
  if (flags & 0x10) s += ".";
  if (flags & 0x20) s += "U";
  if (flags & 0x40) s += "E";
  if (flags & 0x80) s += "W";
  return s === "" ? "none" : s;
}
