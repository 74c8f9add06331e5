/**
 * The decode layer of pcap_ts: pure, synchronous decoders from captured frames into a
 * reused {@link Packet}, plus the packet dumps, address text and anomaly counting.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeFrame, Packet, packetToText } from "./mod.ts";
 * const pkt = new Packet();
 * const frame = { buf: new Uint8Array(10), offset: 0, caplen: 10, len: 10, tsSec: 0, tsNsec: 0, linkType: 1 };
 * decodeFrame(frame, pkt);
 * assert.ok(packetToText(pkt).endsWith("[anomalies: ethernet.truncated]"));
 * ```
 *
 * @module
 */
export * from "./packet.ts";
export { decodeFrame } from "./frame.ts";
export { decodeIp, decodeIpPacket } from "./ip.ts";
export { decodeEthernet, ETHERNET_HEADER_LEN } from "./ethernet.ts";
export { decodeEtherPayload, EtherType, etherTypeText } from "./ether_type.ts";
export { decodeVlanTags, VLAN_TAG_LEN } from "./vlan.ts";
export { decodeSll, decodeSll2, SLL2_HEADER_LEN, SLL_HEADER_LEN } from "./sll.ts";
export { decodeLoopback, LOOPBACK_HEADER_LEN, LoopbackFamily } from "./loopback.ts";
export { LinkType, linkTypeName } from "./link_type.ts";
export { decodePppoeSession, PPPOE_HEADER_LEN, PppProtocol } from "./pppoe.ts";
export {
  ARP_ETHERNET_IPV4_LEN,
  ARP_FIXED_LEN,
  ArpOp,
  decodeArp,
  isEthernetIpv4Arp,
} from "./arp.ts";
export {
  decodeIpv4,
  IPV4_HEADER_LEN,
  IPV4_OPTION_NAMES,
  type Ipv4Option,
  ipv4Options,
} from "./ipv4.ts";
export {
  decodeIpv6,
  IPV6_HEADER_LEN,
  Ipv6Ext,
  isIpv6ExtensionHeader,
  MAX_IPV6_EXT_HEADERS,
} from "./ipv6.ts";
export { decodeTransport, IpProtocol } from "./transport.ts";
export {
  decodeTcp,
  TCP_HEADER_LEN,
  tcpFlagLetters,
  tcpFlagsTcpdump,
  type TcpOption,
  TcpOptionKind,
  tcpOptions,
} from "./tcp.ts";
export { decodeUdp, UDP_HEADER_LEN } from "./udp.ts";
export { decodeIcmpv4, ICMP_HEADER_LEN, Icmpv4Type, isIcmpv4Error } from "./icmpv4.ts";
export { decodeIcmpv6, Icmpv6Type, isIcmpv6Error } from "./icmpv6.ts";
export { decodeIcmpQuote } from "./icmp_quote.ts";
export { seqAdd, seqDiff, seqGeq, seqGt, seqLeq, seqLt } from "./seq.ts";
export { AnomalyCounter, SAMPLE_EVERY, SAMPLE_FIRST } from "./anomalies.ts";
export {
  cidrContains,
  hasHostBits,
  ipBytesToWords,
  ipEquals,
  ipKey,
  type IpSyntax,
  ipToString,
  ipv4ToString,
  ipv6ToString,
  ipWordsToBytes,
  macToString,
  maskWords,
  parseCidr,
  type ParsedCidr,
  type ParsedIp,
  parseIp,
  parseIpWords,
  parsePrefixLen,
  prefixEquals,
  prefixMask,
} from "./address.ts";
export { hex16, packetToJson, PAYLOAD_PREVIEW_LEN, payloadPreview } from "./dump_json.ts";
export { packetToText } from "./dump_text.ts";
