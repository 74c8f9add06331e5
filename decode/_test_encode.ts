/**
 * Small header encoders for the decode tests (hand-built frames and encode-then-decode
 * property tests). Test-only; checksums are written as given, never computed.
 *
 * @module
 */
import type { Frame } from "./packet.ts";

/** Bytes from hex text (whitespace ignored). */
export function hex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, "");
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Concatenation of byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A frame over `bytes` (whole buffer captured unless `caplen` says less). */
export function frameOf(
  bytes: Uint8Array,
  linkType: number,
  opts: { caplen?: number; len?: number; tsSec?: number; tsNsec?: number; offset?: number } = {},
): Frame {
  const offset = opts.offset ?? 0;
  const caplen = opts.caplen ?? bytes.length - offset;
  return {
    buf: bytes,
    offset,
    caplen,
    len: opts.len ?? bytes.length - offset,
    tsSec: opts.tsSec ?? 1700000000,
    tsNsec: opts.tsNsec ?? 123456789,
    linkType,
  };
}

function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 255;
  b[o + 1] = v & 255;
}

function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 255;
  b[o + 1] = (v >>> 16) & 255;
  b[o + 2] = (v >>> 8) & 255;
  b[o + 3] = v & 255;
}

/** One 802.1Q-style tag. */
export interface VlanTagFields {
  tpid: number;
  id: number;
  pcp?: number;
}

/** Ethernet II header (with optional VLAN tags) + payload. */
export function encodeEthernet(
  f: { dst?: Uint8Array; src?: Uint8Array; type: number; tags?: VlanTagFields[] },
  payload: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const tags = f.tags ?? [];
  const b = new Uint8Array(14 + 4 * tags.length);
  b.set(f.dst ?? hex("020000000002"), 0);
  b.set(f.src ?? hex("020000000001"), 6);
  let o = 12;
  for (const t of tags) {
    put16(b, o, t.tpid);
    put16(b, o + 2, ((t.pcp ?? 0) << 13) | (t.id & 0xfff));
    o += 4;
  }
  put16(b, o, f.type);
  return concat(b, payload);
}

/** IPv4 header fields; `totalLen` and `ihl` override the computed ones. */
export interface Ipv4Fields {
  tos?: number;
  id?: number;
  df?: boolean;
  mf?: boolean;
  /** Fragment offset in bytes (multiple of 8). */
  fragOffset?: number;
  ttl?: number;
  protocol: number;
  checksum?: number;
  src: number;
  dst: number;
  options?: Uint8Array;
  totalLen?: number;
  ihl?: number;
  version?: number;
}

/** IPv4 header + payload. */
export function encodeIpv4(f: Ipv4Fields, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const opts = f.options ?? new Uint8Array(0);
  const hlen = 20 + opts.length;
  const b = new Uint8Array(hlen);
  b[0] = ((f.version ?? 4) << 4) | (f.ihl ?? hlen / 4);
  b[1] = f.tos ?? 0;
  put16(b, 2, f.totalLen ?? hlen + payload.length);
  put16(b, 4, f.id ?? 0);
  put16(
    b,
    6,
    (f.df ? 0x4000 : 0) | (f.mf ? 0x2000 : 0) | (((f.fragOffset ?? 0) >>> 3) & 0x1fff),
  );
  b[8] = f.ttl ?? 64;
  b[9] = f.protocol;
  put16(b, 10, f.checksum ?? 0);
  put32(b, 12, f.src);
  put32(b, 16, f.dst);
  b.set(opts, 20);
  return concat(b, payload);
}

/** IPv6 header fields; addresses as four words. */
export interface Ipv6Fields {
  tc?: number;
  flowLabel?: number;
  hopLimit?: number;
  nextHeader: number;
  src: ArrayLike<number>;
  dst: ArrayLike<number>;
  payloadLen?: number;
}

/** IPv6 header + payload (extension headers are part of the payload). */
export function encodeIpv6(f: Ipv6Fields, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const b = new Uint8Array(40);
  put32(b, 0, (6 << 28) | ((f.tc ?? 0) << 20) | (f.flowLabel ?? 0));
  put16(b, 4, f.payloadLen ?? payload.length);
  b[6] = f.nextHeader;
  b[7] = f.hopLimit ?? 64;
  for (let i = 0; i < 4; i++) {
    put32(b, 8 + 4 * i, f.src[i]!);
    put32(b, 24 + 4 * i, f.dst[i]!);
  }
  return concat(b, payload);
}

/** An IPv6 extension header of the `(len + 1) * 8` kind (hop-by-hop, routing, dest. options). */
export function encodeIpv6Ext(next: number, body: Uint8Array = new Uint8Array(6)): Uint8Array {
  const total = Math.ceil((body.length + 2) / 8) * 8;
  const b = new Uint8Array(total);
  b[0] = next;
  b[1] = total / 8 - 1;
  b.set(body, 2);
  return b;
}

/** An IPv6 fragment header. */
export function encodeIpv6Fragment(
  next: number,
  fragOffset: number,
  more: boolean,
  id: number,
): Uint8Array {
  const b = new Uint8Array(8);
  b[0] = next;
  put16(b, 2, (fragOffset & 0xfff8) | (more ? 1 : 0));
  put32(b, 4, id);
  return b;
}

/** TCP header fields; `dataOffset` (words) overrides the computed one. */
export interface TcpFields {
  srcPort: number;
  dstPort: number;
  seq?: number;
  ack?: number;
  flags?: number;
  window?: number;
  checksum?: number;
  urgent?: number;
  options?: Uint8Array;
  dataOffset?: number;
}

/** TCP header + payload. Options are padded with EOL to a 4-byte multiple. */
export function encodeTcp(f: TcpFields, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const opts = f.options ?? new Uint8Array(0);
  const hlen = 20 + Math.ceil(opts.length / 4) * 4;
  const b = new Uint8Array(hlen);
  put16(b, 0, f.srcPort);
  put16(b, 2, f.dstPort);
  put32(b, 4, f.seq ?? 0);
  put32(b, 8, f.ack ?? 0);
  b[12] = (f.dataOffset ?? hlen / 4) << 4;
  b[13] = f.flags ?? 0;
  put16(b, 14, f.window ?? 0);
  put16(b, 16, f.checksum ?? 0);
  put16(b, 18, f.urgent ?? 0);
  b.set(opts, 20);
  return concat(b, payload);
}

/** UDP header + payload; `length` overrides the computed one. */
export function encodeUdp(
  f: { srcPort: number; dstPort: number; length?: number; checksum?: number },
  payload: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const b = new Uint8Array(8);
  put16(b, 0, f.srcPort);
  put16(b, 2, f.dstPort);
  put16(b, 4, f.length ?? 8 + payload.length);
  put16(b, 6, f.checksum ?? 0);
  return concat(b, payload);
}

/** ICMP (v4 or v6) header + body; `rest` is the 4-byte rest of header. */
export function encodeIcmp(
  f: { type: number; code?: number; checksum?: number; rest?: number },
  body: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const b = new Uint8Array(8);
  b[0] = f.type;
  b[1] = f.code ?? 0;
  put16(b, 2, f.checksum ?? 0);
  put32(b, 4, f.rest ?? 0);
  return concat(b, body);
}

/** Ethernet/IPv4 ARP message. */
export function encodeArp(f: {
  op: number;
  senderMac: Uint8Array;
  senderIp: number;
  targetMac: Uint8Array;
  targetIp: number;
}): Uint8Array {
  const b = new Uint8Array(28);
  put16(b, 0, 1);
  put16(b, 2, 0x0800);
  b[4] = 6;
  b[5] = 4;
  put16(b, 6, f.op);
  b.set(f.senderMac, 8);
  put32(b, 14, f.senderIp);
  b.set(f.targetMac, 18);
  put32(b, 24, f.targetIp);
  return b;
}

/** Linux cooked v1 header + payload. */
export function encodeSll(
  f: { packetType: number; arphrdType: number; addr: Uint8Array; protocol: number },
  payload: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const b = new Uint8Array(16);
  put16(b, 0, f.packetType);
  put16(b, 2, f.arphrdType);
  put16(b, 4, f.addr.length);
  b.set(f.addr.subarray(0, 8), 6);
  put16(b, 14, f.protocol);
  return concat(b, payload);
}

/** Linux cooked v2 header + payload. */
export function encodeSll2(
  f: {
    packetType: number;
    arphrdType: number;
    addr: Uint8Array;
    protocol: number;
    ifIndex: number;
  },
  payload: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const b = new Uint8Array(20);
  put16(b, 0, f.protocol);
  put32(b, 4, f.ifIndex);
  put16(b, 8, f.arphrdType);
  b[10] = f.packetType;
  b[11] = f.addr.length;
  b.set(f.addr.subarray(0, 8), 12);
  return concat(b, payload);
}

/** BSD loopback header (family in the given byte order) + payload. */
export function encodeLoopback(
  family: number,
  littleEndian: boolean,
  payload: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, family, littleEndian);
  return concat(b, payload);
}

import { decodeFrame } from "./frame.ts";
import { Packet } from "./packet.ts";

/** Decodes `bytes` as one frame of `linkType` into a fresh Packet. */
export function decodeBytes(
  bytes: Uint8Array,
  linkType: number,
  opts: { caplen?: number; len?: number; tsSec?: number; tsNsec?: number; offset?: number } = {},
): Packet {
  const pkt = new Packet();
  decodeFrame(frameOf(bytes, linkType, opts), pkt);
  return pkt;
}

/** PPPoE session header + PPP protocol (2 bytes, or 1 when `compressed`) + payload. */
export function encodePppoe(
  f: { sessionId: number; pppProtocol: number; compressed?: boolean; length?: number },
  payload: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const proto = f.compressed
    ? new Uint8Array([f.pppProtocol])
    : new Uint8Array([f.pppProtocol >> 8, f.pppProtocol & 255]);
  const b = new Uint8Array(6);
  b[0] = 0x11;
  put16(b, 2, f.sessionId);
  put16(b, 4, f.length ?? proto.length + payload.length);
  return concat(b, proto, payload);
}
