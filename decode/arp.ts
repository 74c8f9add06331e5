/**
 * ARP (RFC 826). The Ethernet/IPv4 form is decoded fully; other hardware/protocol pairs keep
 * only the fixed fields.
 *
 * @module
 */
import { LayerBit, type Packet } from "./packet.ts";
import { setTruncated } from "./_problem.ts";

/** Bytes of the fixed ARP fields (htype, ptype, hlen, plen, op). */
export const ARP_FIXED_LEN = 8;
/** Bytes of an Ethernet/IPv4 ARP message. */
export const ARP_ETHERNET_IPV4_LEN = 28;
const HTYPE = 0;
const PTYPE = 2;
const HLEN = 4;
const PLEN = 5;
const OP = 6;
const SHA = 8;
const SPA = 14;
const THA = 18;
const TPA = 24;

/** ARP operation codes. */
export const ArpOp = { request: 1, reply: 2 } as const;

/** True when the ARP header is the Ethernet/IPv4 form (addresses decoded). */
export function isEthernetIpv4Arp(pkt: Packet): boolean {
  const a = pkt.arp;
  return a.hardwareType === 1 && a.protocolType === 0x0800 && a.hardwareLen === 6 &&
    a.protocolLen === 4;
}

/** Decodes an ARP message at `o` (`arp.truncated` when short). */
export function decodeArp(buf: Uint8Array, o: number, end: number, pkt: Packet): void {
  const avail = end - o;
  if (avail < ARP_FIXED_LEN) {
    setTruncated(pkt, "arp", ARP_FIXED_LEN, avail, o);
    return;
  }
  const arp = pkt.arp;
  arp.hardwareType = (buf[o + HTYPE]! << 8) | buf[o + HTYPE + 1]!;
  arp.protocolType = (buf[o + PTYPE]! << 8) | buf[o + PTYPE + 1]!;
  arp.hardwareLen = buf[o + HLEN]!;
  arp.protocolLen = buf[o + PLEN]!;
  arp.op = (buf[o + OP]! << 8) | buf[o + OP + 1]!;
  arp.senderMacOffset = 0;
  arp.targetMacOffset = 0;
  arp.senderIp = 0;
  arp.targetIp = 0;
  pkt.l3Offset = o;
  let hdr = ARP_FIXED_LEN;
  if (isEthernetIpv4Arp(pkt)) {
    if (avail < ARP_ETHERNET_IPV4_LEN) {
      setTruncated(pkt, "arp", ARP_ETHERNET_IPV4_LEN, avail, o);
      return;
    }
    arp.senderMacOffset = o + SHA;
    arp.targetMacOffset = o + THA;
    arp.senderIp = ((buf[o + SPA]! << 24) | (buf[o + SPA + 1]! << 16) | (buf[o + SPA + 2]! << 8) |
      buf[o + SPA + 3]!) >>> 0;
    arp.targetIp = ((buf[o + TPA]! << 24) | (buf[o + TPA + 1]! << 16) | (buf[o + TPA + 2]! << 8) |
      buf[o + TPA + 3]!) >>> 0;
    hdr = ARP_ETHERNET_IPV4_LEN;
  }
  pkt.layers |= LayerBit.arp;
  pkt.payloadOffset = o + hdr;
  pkt.payloadLen = end - o - hdr;
}
