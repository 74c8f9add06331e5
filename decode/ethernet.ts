/**
 * Ethernet II (DLT_EN10MB).
 *
 * @module
 */
import { LayerBit, type Packet } from "./packet.ts";
import { setTruncated } from "./_problem.ts";
import { decodeEtherPayload } from "./ether_type.ts";

// V8 folds a module's own constants into its code but reads an exported or imported binding
// from its cell, with a check for the temporal dead zone, at every use: the hot code uses
// these module-private copies.
const HEADER_LEN = 14;
const ETHERNET_BIT = LayerBit.ethernet;
/** Bytes of an Ethernet II header. */
export const ETHERNET_HEADER_LEN = HEADER_LEN;
const DST = 0;
const SRC = 6;
const TYPE = 12;

/**
 * Decodes an Ethernet header at `o` and what follows it. An EtherType of 1500 or less is an
 * 802.3 length field: the rest of the frame is left as payload.
 */
export function decodeEthernet(buf: Uint8Array, o: number, end: number, pkt: Packet): void {
  if (end - o < HEADER_LEN) {
    setTruncated(pkt, "ethernet", HEADER_LEN, end - o, o);
    return;
  }
  const eth = pkt.eth;
  eth.dstOffset = o + DST;
  eth.srcOffset = o + SRC;
  const type = (buf[o + TYPE]! << 8) | buf[o + TYPE + 1]!;
  eth.etherType = type;
  pkt.layers |= ETHERNET_BIT;
  decodeEtherPayload(buf, o + HEADER_LEN, end, type, pkt);
}
