/**
 * PPPoE session stage (RFC 2516, EtherType 0x8864) carrying PPP (RFC 1661) frames.
 *
 * @module
 */
import { LayerBit, type Packet } from "./packet.ts";
import { setInvalid, setTruncated } from "./_problem.ts";
import { decodeIpv4 } from "./ipv4.ts";
import { decodeIpv6 } from "./ipv6.ts";

/** Bytes of the PPPoE header (version/type, code, session id, length). */
export const PPPOE_HEADER_LEN = 6;
const VERSION_TYPE = 0;
const CODE = 1;
const SESSION_ID = 2;
const LENGTH = 4;

/** PPP protocol numbers that pcap_ts follows. */
export const PppProtocol = { ipv4: 0x0021, ipv6: 0x0057 } as const;

/**
 * Decodes a PPPoE session header at `o`, the PPP protocol field after it (one byte when
 * compressed: an odd first byte, RFC 1661 6.5) and the IPv4 or IPv6 datagram it carries.
 * `pppoe.truncated` when short, `pppoe.invalid_version` unless version and type are 1.
 */
export function decodePppoeSession(buf: Uint8Array, o: number, end: number, pkt: Packet): void {
  const avail = end - o;
  if (avail < PPPOE_HEADER_LEN + 1) {
    setTruncated(pkt, "pppoe", PPPOE_HEADER_LEN + 1, avail, o);
    return;
  }
  const versionType = buf[o + VERSION_TYPE]!;
  if (versionType !== 0x11) {
    setInvalid(pkt, "pppoe", "version", versionType, o);
    return;
  }
  const first = buf[o + PPPOE_HEADER_LEN]!;
  const protoLen = (first & 1) !== 0 ? 1 : 2;
  if (avail < PPPOE_HEADER_LEN + protoLen) {
    setTruncated(pkt, "pppoe", PPPOE_HEADER_LEN + protoLen, avail, o);
    return;
  }
  const h = pkt.pppoe;
  h.versionType = versionType;
  h.code = buf[o + CODE]!;
  h.sessionId = (buf[o + SESSION_ID]! << 8) | buf[o + SESSION_ID + 1]!;
  const length = (buf[o + LENGTH]! << 8) | buf[o + LENGTH + 1]!;
  h.length = length;
  h.pppProtocol = protoLen === 1 ? first : (first << 8) | buf[o + PPPOE_HEADER_LEN + 1]!;
  pkt.layers |= LayerBit.pppoe;
  // The PPP frame ends at the PPPoE length (Ethernet padding follows short ones).
  let pppEnd = end;
  if (o + PPPOE_HEADER_LEN + length < end && length >= protoLen) {
    pppEnd = o + PPPOE_HEADER_LEN + length;
  }
  const p = o + PPPOE_HEADER_LEN + protoLen;
  pkt.payloadOffset = p;
  pkt.payloadLen = pppEnd - p;
  if (h.pppProtocol === 0x0021) decodeIpv4(buf, p, pppEnd, pkt);
  else if (h.pppProtocol === 0x0057) decodeIpv6(buf, p, pppEnd, pkt);
}
