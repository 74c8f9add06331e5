/**
 * The `--dump=json` form of a decoded packet (DESIGN.md, "Packet dump").
 *
 * @module
 */
import { LayerBit, type Packet, problemName } from "./packet.ts";
import { ipToString, ipv4ToString, macToString } from "./address.ts";
import { isEthernetIpv4Arp } from "./arp.ts";
import { etherTypeText } from "./ether_type.ts";
import { ipv4Options } from "./ipv4.ts";
import { linkTypeName } from "./link_type.ts";
import { tcpFlagLetters, tcpOptions } from "./tcp.ts";
import { isoTimestamp } from "./_time.ts";

/** Bytes of payload shown in `payload_preview`. */
export const PAYLOAD_PREVIEW_LEN = 64;

/** `0x1a2b` text of a 16-bit value. */
export function hex16(v: number): string {
  return "0x" + v.toString(16).padStart(4, "0");
}

/**
 * Printable text of the first `max` payload bytes: ASCII 0x20-0x7e, tab, CR and LF as
 * themselves (JSON escapes the last three), anything else as `.`.
 */
export function payloadPreview(pkt: Packet, max = PAYLOAD_PREVIEW_LEN): string {
  const n = pkt.payloadLen < max ? pkt.payloadLen : max;
  let s = "";
  for (let i = 0; i < n; i++) {
    const b = pkt.buf[pkt.payloadOffset + i] ?? 0;
    s += (b >= 0x20 && b <= 0x7e) || b === 9 || b === 10 || b === 13 ? String.fromCharCode(b) : ".";
  }
  return s;
}

function ipJson(pkt: Packet): Record<string, unknown> {
  const ip = pkt.ip;
  if (ip.version === 4) {
    return {
      version: 4,
      hlen: ip.headerLen,
      tos: ip.tos,
      len: ip.totalLen,
      id: ip.id,
      df: ip.dontFragment,
      mf: ip.moreFragments,
      frag_offset: ip.fragOffset,
      ttl: ip.ttl,
      proto: ip.protocol,
      checksum: hex16(ip.checksum),
      src: ipToString(4, ip.src),
      dst: ipToString(4, ip.dst),
      options: ipv4Options(pkt).map((o) => ({ type: o.type, len: o.len })),
    };
  }
  // next_header is the upper-layer protocol after the extension headers (`ip.protocol`);
  // the headers walked to reach it are in ext_headers.
  return {
    version: 6,
    next_header: ip.protocol,
    hop_limit: ip.ttl,
    flow_label: ip.flowLabel,
    ext_headers: Array.from(ip.extTypes.subarray(0, ip.extCount)),
    src: ipToString(6, ip.src),
    dst: ipToString(6, ip.dst),
  };
}

function icmpJson(pkt: Packet): Record<string, unknown> {
  const out: Record<string, unknown> = { type: pkt.icmp.type, code: pkt.icmp.code };
  if ((pkt.layers & LayerBit.icmpQuote) !== 0) {
    const q = pkt.icmp.quoted;
    out.quoted = {
      version: q.ipVersion,
      proto: q.protocol,
      src: ipToString(q.ipVersion, q.src),
      dst: ipToString(q.ipVersion, q.dst),
      src_port: q.srcPort,
      dst_port: q.dstPort,
    };
  }
  return out;
}

/**
 * The JSON dump object of a decoded packet (DESIGN.md's packet dump contract): one key per
 * decoded layer (absent when the layer is absent), then `payload_len`, `payload_preview` and
 * `anomalies`. Keys the contract does not list: `sll` fields, `loopback` (`{family}`), `pppoe` (`{session_id, ppp_protocol}`) and
 * the fixed fields of non-Ethernet/IPv4 ARP. IPv6's `next_header` is the upper-layer
 * protocol (after `ext_headers`); `icmp.quoted` summarises the datagram an ICMP error
 * quotes. Allocates; for dumps and reports only.
 */
export function packetToJson(pkt: Packet): Record<string, unknown> {
  const layers = pkt.layers;
  const buf = pkt.buf;
  const out: Record<string, unknown> = {
    ts: isoTimestamp(pkt.tsSec, pkt.tsNsec),
    caplen: pkt.caplen,
    len: pkt.len,
    link: linkTypeName(pkt.linkType),
  };
  if (layers & LayerBit.ethernet) {
    out.eth = {
      src: macToString(buf, pkt.eth.srcOffset),
      dst: macToString(buf, pkt.eth.dstOffset),
      type: etherTypeText(pkt.eth.etherType),
    };
  }
  if (layers & LayerBit.sll) {
    const sll = pkt.sll;
    const s: Record<string, unknown> = {
      version: sll.version,
      packet_type: sll.packetType,
      arphrd_type: sll.arphrdType,
      addr: macToString(buf, sll.addrOffset, sll.addrLen),
      protocol: etherTypeText(sll.protocol),
    };
    if (sll.version === 2) s.if_index = sll.ifIndex;
    out.sll = s;
  }
  if (layers & (LayerBit.ethernet | LayerBit.sll)) {
    out.vlan = Array.from(pkt.vlan.ids.subarray(0, pkt.vlan.count));
  }
  if (layers & LayerBit.loopback) out.loopback = { family: pkt.loopbackFamily };
  if (layers & LayerBit.pppoe) {
    out.pppoe = { session_id: pkt.pppoe.sessionId, ppp_protocol: hex16(pkt.pppoe.pppProtocol) };
  }
  if (layers & LayerBit.arp) {
    const arp = pkt.arp;
    out.arp = isEthernetIpv4Arp(pkt)
      ? {
        op: arp.op,
        sender_mac: macToString(buf, arp.senderMacOffset),
        sender_ip: ipv4ToString(arp.senderIp),
        target_mac: macToString(buf, arp.targetMacOffset),
        target_ip: ipv4ToString(arp.targetIp),
      }
      : { op: arp.op, hardware_type: arp.hardwareType, protocol_type: hex16(arp.protocolType) };
  }
  if (layers & (LayerBit.ipv4 | LayerBit.ipv6)) out.ip = ipJson(pkt);
  if (layers & LayerBit.tcp) {
    const tcp = pkt.tcp;
    out.tcp = {
      src_port: tcp.srcPort,
      dst_port: tcp.dstPort,
      seq: tcp.seq,
      ack: tcp.ack,
      hlen: tcp.headerLen,
      flags: tcpFlagLetters(tcp.flags),
      window: tcp.window,
      checksum: hex16(tcp.checksum),
      urgent: tcp.urgent,
      options: tcpOptions(pkt),
    };
  }
  if (layers & LayerBit.udp) {
    out.udp = { src_port: pkt.udp.srcPort, dst_port: pkt.udp.dstPort, len: pkt.udp.length };
  }
  if (layers & (LayerBit.icmpv4 | LayerBit.icmpv6)) out.icmp = icmpJson(pkt);
  out.payload_len = pkt.payloadLen;
  out.payload_preview = payloadPreview(pkt);
  out.anomalies = pkt.problem === null ? [] : [problemName(pkt.problem)];
  return out;
}
