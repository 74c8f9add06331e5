/**
 * Linux cooked captures: SLL v1 (DLT_LINUX_SLL, 113) and SLL2 (DLT_LINUX_SLL2, 276).
 *
 * @module
 */
import { LayerBit, type Packet } from "./packet.ts";
import { setTruncated } from "./_problem.ts";
import { decodeEtherPayload } from "./ether_type.ts";

/** Bytes of an SLL v1 header. */
export const SLL_HEADER_LEN = 16;
/** Bytes of an SLL2 header. */
export const SLL2_HEADER_LEN = 20;
/** Bytes reserved for the link-layer address in both versions. */
const SLL_ADDR_MAX = 8;

// SLL v1 offsets.
const V1_PACKET_TYPE = 0;
const V1_ARPHRD = 2;
const V1_ADDR_LEN = 4;
const V1_ADDR = 6;
const V1_PROTOCOL = 14;
// SLL2 offsets.
const V2_PROTOCOL = 0;
const V2_IF_INDEX = 4;
const V2_ARPHRD = 8;
const V2_PACKET_TYPE = 10;
const V2_ADDR_LEN = 11;
const V2_ADDR = 12;

/** ARPHRD types whose `protocol` field is not an EtherType (netlink, IP-over-GRE...). */
function protocolIsEtherType(arphrd: number, protocol: number): boolean {
  // ARPHRD_NETLINK (824): the protocol is a netlink family. Values below 0x0600 are Linux
  // pseudo protocols (ETH_P_802_3, ETH_P_802_2, ETH_P_CAN...), not EtherTypes.
  return arphrd !== 824 && protocol >= 0x0600;
}

/** Decodes an SLL v1 header at `o` and what follows it. */
export function decodeSll(buf: Uint8Array, o: number, end: number, pkt: Packet): void {
  if (end - o < SLL_HEADER_LEN) {
    setTruncated(pkt, "sll", SLL_HEADER_LEN, end - o, o);
    return;
  }
  const sll = pkt.sll;
  sll.version = 1;
  sll.packetType = (buf[o + V1_PACKET_TYPE]! << 8) | buf[o + V1_PACKET_TYPE + 1]!;
  sll.arphrdType = (buf[o + V1_ARPHRD]! << 8) | buf[o + V1_ARPHRD + 1]!;
  const addrLen = (buf[o + V1_ADDR_LEN]! << 8) | buf[o + V1_ADDR_LEN + 1]!;
  sll.addrLen = addrLen < SLL_ADDR_MAX ? addrLen : SLL_ADDR_MAX;
  sll.addrOffset = o + V1_ADDR;
  sll.protocol = (buf[o + V1_PROTOCOL]! << 8) | buf[o + V1_PROTOCOL + 1]!;
  sll.ifIndex = 0;
  pkt.layers |= LayerBit.sll;
  const p = o + SLL_HEADER_LEN;
  pkt.payloadOffset = p;
  pkt.payloadLen = end - p;
  if (protocolIsEtherType(sll.arphrdType, sll.protocol)) {
    decodeEtherPayload(buf, p, end, sll.protocol, pkt);
  }
}

/** Decodes an SLL2 header at `o` and what follows it. */
export function decodeSll2(buf: Uint8Array, o: number, end: number, pkt: Packet): void {
  if (end - o < SLL2_HEADER_LEN) {
    setTruncated(pkt, "sll", SLL2_HEADER_LEN, end - o, o);
    return;
  }
  const sll = pkt.sll;
  sll.version = 2;
  sll.protocol = (buf[o + V2_PROTOCOL]! << 8) | buf[o + V2_PROTOCOL + 1]!;
  sll.ifIndex = ((buf[o + V2_IF_INDEX]! << 24) | (buf[o + V2_IF_INDEX + 1]! << 16) |
    (buf[o + V2_IF_INDEX + 2]! << 8) | buf[o + V2_IF_INDEX + 3]!) >>> 0;
  sll.arphrdType = (buf[o + V2_ARPHRD]! << 8) | buf[o + V2_ARPHRD + 1]!;
  sll.packetType = buf[o + V2_PACKET_TYPE]!;
  const addrLen = buf[o + V2_ADDR_LEN]!;
  sll.addrLen = addrLen < SLL_ADDR_MAX ? addrLen : SLL_ADDR_MAX;
  sll.addrOffset = o + V2_ADDR;
  pkt.layers |= LayerBit.sll;
  const p = o + SLL2_HEADER_LEN;
  pkt.payloadOffset = p;
  pkt.payloadLen = end - p;
  if (protocolIsEtherType(sll.arphrdType, sll.protocol)) {
    decodeEtherPayload(buf, p, end, sll.protocol, pkt);
  }
}
