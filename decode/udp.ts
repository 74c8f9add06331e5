/**
 * UDP (RFC 768).
 *
 * @module
 */
import { LayerBit, type Packet } from "./packet.ts";
import { setInvalid, setTruncated } from "./_problem.ts";
import { viewOf } from "./_view.ts";

// V8 folds a module's own constants into its code but reads an exported or imported binding
// from its cell, with a check for the temporal dead zone, at every use: the hot code uses
// these module-private copies.
const HEADER_LEN = 8;
const UDP_BIT = LayerBit.udp;
/** Bytes of a UDP header. */
export const UDP_HEADER_LEN = HEADER_LEN;
const SRC_PORT = 0;
const LENGTH = 4;

/**
 * Decodes a UDP header at `o`. The payload ends at the UDP length when that is shorter than
 * the IP payload. With `checkLength` (not for a first fragment, which holds only part of the
 * datagram), a length below 8 is `udp.invalid_len`; a length of 0 is accepted (IPv6
 * jumbograms, segmentation offload).
 */
export function decodeUdp(
  buf: Uint8Array,
  o: number,
  end: number,
  pkt: Packet,
  checkLength = true,
): void {
  const avail = end - o;
  if (avail < HEADER_LEN) {
    setTruncated(pkt, "udp", HEADER_LEN, avail, o);
    return;
  }
  // The 8 bytes as two big-endian words: one bounds-checked read each.
  const v = viewOf(buf);
  const ports = v.getUint32(o + SRC_PORT);
  const w1 = v.getUint32(o + LENGTH); // length, checksum
  const length = w1 >>> 16;
  const udp = pkt.udp;
  udp.srcPort = ports >>> 16;
  udp.dstPort = ports & 0xffff;
  udp.length = length;
  udp.checksum = w1 & 0xffff;
  pkt.layers |= UDP_BIT;
  pkt.l4Offset = o;
  pkt.payloadOffset = o + HEADER_LEN;
  pkt.payloadLen = avail - HEADER_LEN;
  if (!checkLength || length === 0) return;
  if (length < HEADER_LEN) {
    pkt.payloadLen = 0;
    setInvalid(pkt, "udp", "len", length, o);
    return;
  }
  if (length < avail) pkt.payloadLen = length - HEADER_LEN;
}
