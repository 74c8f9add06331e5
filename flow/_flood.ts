/**
 * Spoofed-source flood traffic for the memory test (flow/_memory_flood.ts) and the detector
 * benchmark (detect/_scan_bench.ts): one reused {@link Packet} refilled per probe, in a fixed
 * mix of five kinds (`i % 5`): TCP SYN, bare TCP (no flags), UDP, ICMP echo request, ARP
 * who-has, each from a new random source.
 *
 * @module
 */

import { LayerBit, type Packet, TcpFlag } from "../decode/packet.ts";

/** Fills `p` with probe number `i` of the flood, from `src` to `dst`, at capture time `ts`. */
export function fillFloodProbe(
  p: Packet,
  i: number,
  ts: number,
  src: number,
  dst: number,
  rand: () => number,
): void {
  // ARP senders are read from the buffer (sender MAC at offset 22).
  if (p.buf.length < 42) p.buf = new Uint8Array(42);
  p.ts = ts;
  p.len = 60;
  p.payloadLen = 0;
  const kind = i % 5;
  if (kind === 4) {
    p.layers = LayerBit.ethernet | LayerBit.arp;
    p.arp.op = 1;
    p.arp.protocolType = 0x0800;
    p.arp.protocolLen = 4;
    p.arp.senderIp = src;
    p.arp.targetIp = rand();
    p.arp.senderMacOffset = 22;
    return;
  }
  p.layers = LayerBit.ethernet | LayerBit.ipv4;
  p.ip.version = 4;
  p.ip.src[0] = src;
  p.ip.dst[0] = dst;
  if (kind <= 1) {
    p.layers |= LayerBit.tcp;
    p.ip.protocol = 6;
    p.tcp.srcPort = rand() & 0xffff;
    p.tcp.dstPort = rand() & 0x3ff;
    p.tcp.flags = kind === 0 ? TcpFlag.syn : 0;
  } else if (kind === 2) {
    p.layers |= LayerBit.udp;
    p.ip.protocol = 17;
    p.udp.srcPort = rand() & 0xffff;
    p.udp.dstPort = rand() & 0x3ff;
  } else {
    p.layers |= LayerBit.icmpv4;
    p.ip.protocol = 1;
    p.icmp.type = 8;
    p.icmp.code = 0;
    p.icmp.id = rand() & 0xffff;
  }
}
