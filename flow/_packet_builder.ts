/**
 * Test helper: fills a {@link Packet} directly (hand-built packets, no bytes), as decodeFrame
 * would for the same headers. Used by flow/ and detect/ unit tests.
 *
 * @module
 */

import { LayerBit, type Packet, TcpFlag } from "../decode/packet.ts";
import { parseIp } from "./address.ts";

function setIp(p: Packet, src: string, dst: string, proto: number): void {
  const fs = parseIp(src, p.ip.src);
  const fd = parseIp(dst, p.ip.dst);
  if (fs === 0 || fd === 0 || fs !== fd) throw new Error(`bad addresses ${src} ${dst}`);
  p.layers = LayerBit.ethernet | (fs === 4 ? LayerBit.ipv4 : LayerBit.ipv6);
  p.ip.version = fs;
  p.ip.protocol = proto;
  p.problem = null;
}

function setTime(p: Packet, ts: number, len: number): void {
  p.ts = ts;
  p.tsSec = Math.floor(ts);
  p.tsNsec = Math.round((ts - p.tsSec) * 1e9);
  p.len = len;
  p.caplen = len;
}

/** Parses tcpdump-style flag letters ("S", "SA", "FPU", "" for NULL, "R", "A", "FA"). */
export function tcpFlags(letters: string): number {
  let f = 0;
  for (const c of letters) {
    if (c === "F") f |= TcpFlag.fin;
    else if (c === "S") f |= TcpFlag.syn;
    else if (c === "R") f |= TcpFlag.rst;
    else if (c === "P") f |= TcpFlag.psh;
    else if (c === "A" || c === ".") f |= TcpFlag.ack;
    else if (c === "U") f |= TcpFlag.urg;
    else if (c === "E") f |= TcpFlag.ece;
    else if (c === "C") f |= TcpFlag.cwr;
    else throw new Error(`unknown TCP flag letter ${c}`);
  }
  return f;
}

/** A TCP packet `src:sport → dst:dport` with `flags` letters at time `ts`. */
export function tcp(
  p: Packet,
  ts: number,
  src: string,
  sport: number,
  dst: string,
  dport: number,
  flags: string,
  len = 60,
): Packet {
  setIp(p, src, dst, 6);
  setTime(p, ts, len);
  p.layers |= LayerBit.tcp;
  p.tcp.srcPort = sport;
  p.tcp.dstPort = dport;
  p.tcp.flags = tcpFlags(flags);
  return p;
}

/** A UDP datagram. */
export function udp(
  p: Packet,
  ts: number,
  src: string,
  sport: number,
  dst: string,
  dport: number,
  len = 60,
): Packet {
  setIp(p, src, dst, 17);
  setTime(p, ts, len);
  p.layers |= LayerBit.udp;
  p.udp.srcPort = sport;
  p.udp.dstPort = dport;
  return p;
}

/** An ICMP (or ICMPv6, by address family) message without a quote. */
export function icmp(
  p: Packet,
  ts: number,
  src: string,
  dst: string,
  type: number,
  code: number,
  id = 0,
  seq = 0,
): Packet {
  setIp(p, src, dst, src.includes(":") ? 58 : 1);
  setTime(p, ts, 98);
  p.layers |= p.ip.version === 4 ? LayerBit.icmpv4 : LayerBit.icmpv6;
  p.icmp.type = type;
  p.icmp.code = code;
  p.icmp.id = id;
  p.icmp.seq = seq;
  return p;
}

/** An ICMP error from `src` to `dst` quoting `qsrc:qsport → qdst:qdport` of protocol `qproto`. */
export function icmpError(
  p: Packet,
  ts: number,
  src: string,
  dst: string,
  type: number,
  code: number,
  qproto: number,
  qsrc: string,
  qsport: number,
  qdst: string,
  qdport: number,
): Packet {
  icmp(p, ts, src, dst, type, code);
  p.layers |= LayerBit.icmpQuote;
  const q = p.icmp.quoted;
  q.ipVersion = parseIp(qsrc, q.src) as 4 | 6;
  parseIp(qdst, q.dst);
  q.protocol = qproto;
  q.srcPort = qsport;
  q.dstPort = qdport;
  return p;
}

/** An ARP request (op 1) or reply (op 2) over Ethernet/IPv4. */
export function arp(
  p: Packet,
  ts: number,
  senderIp: string,
  targetIp: string,
  op = 1,
): Packet {
  const w = new Uint32Array(4);
  p.layers = LayerBit.ethernet | LayerBit.arp;
  setTime(p, ts, 42);
  p.arp.hardwareType = 1;
  p.arp.protocolType = 0x0800;
  p.arp.hardwareLen = 6;
  p.arp.protocolLen = 4;
  p.arp.op = op;
  parseIp(senderIp, w);
  p.arp.senderIp = w[0]!;
  parseIp(targetIp, w);
  p.arp.targetIp = w[0]!;
  p.buf = new Uint8Array(42);
  p.buf.set([2, 0, 0, 0, 0, 7], 22);
  p.arp.senderMacOffset = 22;
  p.arp.targetMacOffset = 32;
  return p;
}
