/**
 * IP datagrams whose version is known only from their first nibble (raw-IP link types,
 * loopback, reassembled datagrams).
 *
 * @module
 */
import type { Packet } from "./packet.ts";
import { setInvalid, setTruncated } from "./_problem.ts";
import { decodeIpv4 } from "./ipv4.ts";
import { decodeIpv6 } from "./ipv6.ts";

/**
 * Decodes an IPv4 or IPv6 datagram at `o` by its version nibble (`ip.truncated` when empty,
 * `ip.invalid_version` when neither 4 nor 6).
 */
export function decodeIp(buf: Uint8Array, o: number, end: number, pkt: Packet): void {
  if (end - o < 1) {
    setTruncated(pkt, "ip", 1, end - o, o);
    return;
  }
  const version = buf[o]! >> 4;
  if (version === 4) decodeIpv4(buf, o, end, pkt);
  else if (version === 6) decodeIpv6(buf, o, end, pkt);
  else setInvalid(pkt, "ip", "version", version, o);
}

/**
 * Decodes a whole IP datagram held in `buf[offset, end)`, such as one put back together by
 * fragment reassembly. `pkt` then describes the datagram alone: its `buf` and `offset` point
 * at it, `caplen` and `len` are its length, link layers and the previous problem are
 * cleared; the capture time and link type are kept. Never throws.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeIpPacket, LayerBit, Packet } from "./mod.ts";
 * const pkt = new Packet();
 * const datagram = new Uint8Array(28);
 * datagram.set([0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17]);
 * decodeIpPacket(datagram, 0, datagram.length, pkt);
 * assert.ok((pkt.layers & LayerBit.udp) !== 0);
 * ```
 */
export function decodeIpPacket(buf: Uint8Array, offset: number, end: number, pkt: Packet): void {
  if (!(offset >= 0)) offset = 0;
  if (offset > buf.length) offset = buf.length;
  if (!(end <= buf.length)) end = buf.length;
  if (!(end >= offset)) end = offset;
  pkt.layers = 0;
  pkt.problem = null;
  pkt.buf = buf;
  pkt.offset = offset;
  pkt.caplen = end - offset;
  pkt.len = end - offset;
  pkt.l3Offset = -1;
  pkt.l4Offset = -1;
  pkt.vlan.count = 0;
  pkt.payloadOffset = offset;
  pkt.payloadLen = end - offset;
  decodeIp(buf, offset, end, pkt);
}
