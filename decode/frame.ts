/**
 * The decode entry point: one captured frame into a reused {@link Packet}.
 *
 * @module
 */
import type { Frame, Packet } from "./packet.ts";
import { setInvalid } from "./_problem.ts";
import { decodeEthernet } from "./ethernet.ts";
import { decodeSll, decodeSll2 } from "./sll.ts";
import { decodeLoopback } from "./loopback.ts";
import { decodeIp } from "./ip.ts";
import { decodeIpv4 } from "./ipv4.ts";
import { decodeIpv6 } from "./ipv6.ts";

/**
 * Decodes `frame` into `pkt`: resets it, copies the frame's metadata, then decodes the link
 * layer named by `frame.linkType` and everything inside it. Never throws and allocates
 * nothing, except a {@link DecodeProblem} for a malformed frame; an unknown link type is the
 * problem `link.invalid_type` (kind `invalid`, layer `link`, field `type`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeFrame, LayerBit, Packet } from "./mod.ts";
 * const bytes = new Uint8Array(54);
 * bytes.set([0x08, 0x00], 12); // EtherType IPv4
 * bytes.set([0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6], 14); // IPv4 header, TCP
 * bytes[14 + 20 + 12] = 0x50; // TCP data offset 5
 * const pkt = new Packet();
 * decodeFrame({ buf: bytes, offset: 0, caplen: 54, len: 54, tsSec: 0, tsNsec: 0, linkType: 1 }, pkt);
 * assert.ok((pkt.layers & LayerBit.tcp) !== 0 && pkt.problem === null);
 * ```
 */
export function decodeFrame(frame: Frame, pkt: Packet): void {
  const buf = frame.buf;
  let o = frame.offset;
  let end = o + frame.caplen;
  // Sources hand frames that lie within their buffer. Anything else is clamped out of line,
  // so that here the offsets stay small integers (a clamp to buf.length would make them
  // doubles, converted back and checked at every use).
  if (!(o >= 0 && end >= o && end <= buf.length)) {
    o = clampedStart(frame);
    end = clampedEnd(frame, o);
  }
  pkt.layers = 0;
  pkt.problem = null;
  pkt.l3Offset = -1;
  pkt.l4Offset = -1;
  pkt.vlan.count = 0;
  pkt.ip.extCount = 0;
  pkt.loopbackFamily = 0;
  pkt.payloadOffset = o;
  pkt.payloadLen = end - o;
  // Stored only when it changed: a source's buffer is often younger than the reused packet,
  // and storing it would run the GC's write barrier every frame.
  if (pkt.buf !== buf) pkt.buf = buf;
  pkt.offset = o;
  pkt.caplen = frame.caplen;
  pkt.len = frame.len;
  pkt.tsSec = frame.tsSec;
  pkt.tsNsec = frame.tsNsec;
  pkt.ts = frame.tsSec + frame.tsNsec / 1e9;
  const linkType = frame.linkType;
  pkt.linkType = linkType;
  // Ethernet first; the rest out of line, so that decodeFrame stays small enough for V8 to
  // inline into the capture loop.
  if (linkType === 1) decodeEthernet(buf, o, end, pkt);
  else decodeOtherLink(buf, o, end, linkType, pkt);
}

/** The frame's first byte, clamped to its buffer. */
function clampedStart(frame: Frame): number {
  const o = frame.offset;
  if (!(o >= 0)) return 0;
  return o > frame.buf.length ? frame.buf.length : o;
}

/** The end of the frame's bytes (from `o`, already clamped), clamped to its buffer. */
function clampedEnd(frame: Frame, o: number): number {
  const end = o + frame.caplen;
  if (!(end <= frame.buf.length)) return frame.buf.length;
  return end >= o ? end : o;
}

/** The link types other than Ethernet. */
function decodeOtherLink(
  buf: Uint8Array,
  o: number,
  end: number,
  linkType: number,
  pkt: Packet,
): void {
  switch (linkType) {
    case 113:
      decodeSll(buf, o, end, pkt);
      return;
    case 276:
      decodeSll2(buf, o, end, pkt);
      return;
    case 12:
    case 14:
    case 101:
      decodeIp(buf, o, end, pkt);
      return;
    case 228:
      decodeIpv4(buf, o, end, pkt);
      return;
    case 229:
      decodeIpv6(buf, o, end, pkt);
      return;
    case 0:
      decodeLoopback(buf, o, end, pkt, false);
      return;
    case 108:
      decodeLoopback(buf, o, end, pkt, true);
      return;
    default:
      setInvalid(pkt, "link", "type", linkType, o);
  }
}
