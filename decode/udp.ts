/**
 * UDP (RFC 768).
 *
 * @module
 */
import { LayerBit, type Packet } from "./packet.ts";
import { setInvalid, setTruncated } from "./_problem.ts";

/** Bytes of a UDP header. */
export const UDP_HEADER_LEN = 8;
const SRC_PORT = 0;
const DST_PORT = 2;
const LENGTH = 4;
const CHECKSUM = 6;

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
  if (avail < UDP_HEADER_LEN) {
    setTruncated(pkt, "udp", UDP_HEADER_LEN, avail, o);
    return;
  }
  const udp = pkt.udp;
  udp.srcPort = (buf[o + SRC_PORT]! << 8) | buf[o + SRC_PORT + 1]!;
  udp.dstPort = (buf[o + DST_PORT]! << 8) | buf[o + DST_PORT + 1]!;
  const length = (buf[o + LENGTH]! << 8) | buf[o + LENGTH + 1]!;
  udp.length = length;
  udp.checksum = (buf[o + CHECKSUM]! << 8) | buf[o + CHECKSUM + 1]!;
  pkt.layers |= LayerBit.udp;
  pkt.l4Offset = o;
  pkt.payloadOffset = o + UDP_HEADER_LEN;
  pkt.payloadLen = avail - UDP_HEADER_LEN;
  if (!checkLength || length === 0) return;
  if (length < UDP_HEADER_LEN) {
    pkt.payloadLen = 0;
    setInvalid(pkt, "udp", "len", length, o);
    return;
  }
  if (length < avail) pkt.payloadLen = length - UDP_HEADER_LEN;
}
