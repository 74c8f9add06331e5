/**
 * Ethernet II (DLT_EN10MB).
 *
 * @module
 */
import { LayerBit, type Packet } from "./packet.ts";
import { setTruncated } from "./_problem.ts";
import { decodeEtherPayload } from "./ether_type.ts";

/** Bytes of an Ethernet II header. */
export const ETHERNET_HEADER_LEN = 14;
const DST = 0;
const SRC = 6;
const TYPE = 12;

/**
 * Decodes an Ethernet header at `o` and what follows it. An EtherType of 1500 or less is an
 * 802.3 length field: the rest of the frame is left as payload.
 */
export function decodeEthernet(buf: Uint8Array, o: number, end: number, pkt: Packet): void {
  if (end - o < ETHERNET_HEADER_LEN) {
    setTruncated(pkt, "ethernet", ETHERNET_HEADER_LEN, end - o, o);
    return;
  }
  const eth = pkt.eth;
  eth.dstOffset = o + DST;
  eth.srcOffset = o + SRC;
  const type = (buf[o + TYPE]! << 8) | buf[o + TYPE + 1]!;
  eth.etherType = type;
  pkt.layers |= LayerBit.ethernet;
  decodeEtherPayload(buf, o + ETHERNET_HEADER_LEN, end, type, pkt);
}
