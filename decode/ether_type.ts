/**
 * EtherType numbers, and the dispatch from an EtherType to the next decoder (shared by
 * Ethernet and Linux cooked captures).
 *
 * @module
 */
import { LayerBit, type Packet } from "./packet.ts";
import { decodeArp } from "./arp.ts";
import { decodeIpv4 } from "./ipv4.ts";
import { decodeIpv6 } from "./ipv6.ts";
import { decodePppoeSession } from "./pppoe.ts";
import { decodeVlanTags } from "./vlan.ts";

/** EtherType values pcap_ts knows by name. Unknown values stay numbers (`0x88cc`). */
export const EtherType = {
  ipv4: 0x0800,
  arp: 0x0806,
  vlan: 0x8100,
  ipv6: 0x86dd,
  qinq: 0x88a8,
  /** Pre-standard QinQ TPID. */
  qinqOld: 0x9100,
  pppoeDiscovery: 0x8863,
  pppoeSession: 0x8864,
} as const;

/** `0x0800` style text of an EtherType. */
export function etherTypeText(type: number): string {
  return "0x" + type.toString(16).padStart(4, "0");
}

/**
 * Decodes what follows an EtherType at `o`: VLAN tags, then ARP, IPv4, IPv6 or a PPPoE
 * session. Other EtherTypes leave the bytes as payload.
 */
export function decodeEtherPayload(
  buf: Uint8Array,
  o: number,
  end: number,
  type: number,
  pkt: Packet,
): void {
  if (type === 0x8100 || type === 0x88a8 || type === 0x9100) {
    decodeVlanPayload(buf, o, end, pkt);
    return;
  }
  pkt.payloadOffset = o;
  pkt.payloadLen = end - o;
  if (type === 0x0800) decodeIpv4(buf, o, end, pkt);
  else if (type === 0x86dd) decodeIpv6(buf, o, end, pkt);
  else decodeOtherEtherType(buf, o, end, type, pkt);
}

/**
 * Decodes VLAN tags at `o` (after the first TPID) and what follows them; when the tags are
 * malformed, the payload stays what it was before them. Out of line, like the rarer
 * EtherTypes, so that `decodeEtherPayload` stays small enough for V8 to inline.
 */
function decodeVlanPayload(
  buf: Uint8Array,
  o: number,
  end: number,
  pkt: Packet,
): void {
  o = decodeVlanTags(buf, o, end, pkt);
  if (o < 0) return;
  const type = (buf[o - 2]! << 8) | buf[o - 1]!;
  if ((pkt.layers & LayerBit.ethernet) !== 0) pkt.eth.etherType = type;
  pkt.payloadOffset = o;
  pkt.payloadLen = end - o;
  if (type === 0x0800) decodeIpv4(buf, o, end, pkt);
  else if (type === 0x86dd) decodeIpv6(buf, o, end, pkt);
  else decodeOtherEtherType(buf, o, end, type, pkt);
}

/** ARP and PPPoE; other EtherTypes leave the bytes as payload. */
function decodeOtherEtherType(
  buf: Uint8Array,
  o: number,
  end: number,
  type: number,
  pkt: Packet,
): void {
  if (type === 0x0806) decodeArp(buf, o, end, pkt);
  else if (type === 0x8864) decodePppoeSession(buf, o, end, pkt);
}
