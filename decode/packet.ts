/**
 * The decoded form of one frame, shared by every layer of the pipeline.
 *
 * The hot path decodes into one reusable {@link Packet} (gopacket's DecodingLayerParser
 * style): every layer header is a preallocated object with numeric fields, and
 * `packet.layers` is a bit set saying which of them hold this frame's values. Nothing is
 * allocated per packet except on malformed input (the {@link DecodeProblem}).
 *
 * Byte ranges (MAC addresses, IPv6 addresses, options, payload) are offsets into
 * `packet.buf`, which is the caller's buffer: read them before the next frame overwrites it.
 *
 * @module
 */

/** A captured frame as a source hands it over: a view into the source's buffer. */
export interface Frame {
  /** Buffer holding the frame; owned by the source and reused for the next frame. */
  buf: Uint8Array;
  /** Offset of the frame's first byte in `buf`. */
  offset: number;
  /** Bytes captured (available in `buf` from `offset`). */
  caplen: number;
  /** Length of the frame on the wire. */
  len: number;
  /** Capture time: whole seconds since the Unix epoch. */
  tsSec: number;
  /** Capture time: nanoseconds within the second (0 to 999,999,999). */
  tsNsec: number;
  /** The libpcap data link type (a DLT or LINKTYPE number) of the frame. */
  linkType: number;
}

/** Bits of {@link Packet.layers}: which layer headers this frame decoded. */
export const LayerBit = {
  ethernet: 1 << 0,
  vlan: 1 << 1,
  sll: 1 << 2,
  loopback: 1 << 3,
  arp: 1 << 4,
  ipv4: 1 << 5,
  ipv6: 1 << 6,
  tcp: 1 << 7,
  udp: 1 << 8,
  icmpv4: 1 << 9,
  icmpv6: 1 << 10,
  /**
   * The frame is an IP fragment (offset > 0, or more follow). Its L4 header is decoded only
   * for the first fragment (offset 0) and only when that fragment holds it whole.
   */
  fragment: 1 << 11,
  /** An ICMP error quoted an inner IP header (see {@link IcmpHeader.quoted}). */
  icmpQuote: 1 << 12,
  /** A PPPoE session header (EtherType 0x8864) and its PPP protocol field. */
  pppoe: 1 << 13,
} as const;

/** A malformed frame, as a value: where decoding stopped and why. */
export type DecodeProblem =
  | {
    kind: "truncated";
    /** Layer name as used in anomaly counters (`ipv4`, `tcp`, ...). */
    layer: string;
    /** Bytes the layer needed. */
    required: number;
    /** Bytes that were there. */
    available: number;
    /** Offset of the layer in the frame. */
    offset: number;
  }
  | {
    kind: "invalid";
    layer: string;
    /** Header field that was out of range. */
    field: string;
    value: number;
    /** Offset of the layer in the frame. */
    offset: number;
  };

/** The `layer.problem` counter name of a problem, e.g. `ipv4.truncated`, `tcp.invalid_hlen`. */
export function problemName(p: DecodeProblem): string {
  return p.kind === "truncated" ? `${p.layer}.truncated` : `${p.layer}.invalid_${p.field}`;
}

/** Ethernet II header (DLT_EN10MB). MACs are offsets into the packet buffer. */
export class EthernetHeader {
  /** Offset of the destination MAC (6 bytes) in `Packet.buf`. */
  dstOffset = 0;
  /** Offset of the source MAC (6 bytes) in `Packet.buf`. */
  srcOffset = 0;
  /** EtherType after any VLAN tags (the outermost is in `vlan`). */
  etherType = 0;
}

/** Maximum 802.1Q tags decoded per frame; deeper stacks are an anomaly. */
export const MAX_VLAN_TAGS = 4;

/** 802.1Q / 802.1ad tags, outermost first. */
export class VlanTags {
  count = 0;
  /** VLAN ids (12 bits). */
  ids = new Uint16Array(MAX_VLAN_TAGS);
  /** Priority code points (3 bits). */
  pcp = new Uint8Array(MAX_VLAN_TAGS);
  /** TPID of each tag (0x8100, 0x88a8, 0x9100). */
  tpids = new Uint16Array(MAX_VLAN_TAGS);
}

/** Linux cooked capture v1 or v2 header (DLT_LINUX_SLL, DLT_LINUX_SLL2). */
export class SllHeader {
  version: 1 | 2 = 1;
  /** Packet type: 0 to us, 1 broadcast, 2 multicast, 3 to another host, 4 sent by us. */
  packetType = 0;
  /** ARPHRD_* type of the device. */
  arphrdType = 0;
  /** Link-layer address length and offset in `Packet.buf`. */
  addrLen = 0;
  addrOffset = 0;
  /** Protocol (EtherType for most). */
  protocol = 0;
  /** SLL2 only: interface index. */
  ifIndex = 0;
}

/** PPPoE session header (RFC 2516) and the PPP protocol field after it. */
export class PppoeHeader {
  /** Version (high nibble) and type (low nibble): 0x11. */
  versionType = 0;
  /** Code: 0 for session data. */
  code = 0;
  sessionId = 0;
  /** Length of the PPP frame (protocol field and payload). */
  length = 0;
  /** PPP protocol: 0x0021 IPv4, 0x0057 IPv6, ... (1 or 2 bytes on the wire). */
  pppProtocol = 0;
}

/** ARP over Ethernet/IPv4 (htype 1, ptype 0x0800); others keep only the fixed fields. */
export class ArpHeader {
  hardwareType = 0;
  protocolType = 0;
  hardwareLen = 0;
  protocolLen = 0;
  /** 1 request, 2 reply. */
  op = 0;
  /** Offsets of the sender/target hardware addresses in `Packet.buf`. */
  senderMacOffset = 0;
  targetMacOffset = 0;
  /** IPv4 addresses as unsigned 32-bit numbers (valid when protocolType is 0x0800). */
  senderIp = 0;
  targetIp = 0;
}

/** IPv4 or IPv6 header, in one shape so that flows and detectors need not branch. */
export class IpHeader {
  version: 4 | 6 = 4;
  /** Header length in bytes (IPv6: 40 plus extension headers). */
  headerLen = 0;
  /** IPv4 TOS / IPv6 traffic class. */
  tos = 0;
  /** IPv4 total length / IPv6 40 + payload length, as in the header. */
  totalLen = 0;
  /** IPv4 identification, or IPv6 fragment header identification. */
  id = 0;
  dontFragment = false;
  moreFragments = false;
  /** Fragment offset in bytes. */
  fragOffset = 0;
  /** TTL / hop limit. */
  ttl = 0;
  /** Upper-layer protocol (IPv6: the last next-header value). */
  protocol = 0;
  /** IPv4 header checksum (0 for IPv6). */
  checksum = 0;
  /** IPv6 flow label. */
  flowLabel = 0;
  /**
   * Source and destination addresses as 32-bit words, most significant first.
   * IPv4 uses word 0 only (words 1 to 3 are 0).
   */
  src = new Uint32Array(4);
  dst = new Uint32Array(4);
  /** Offset of the IPv4 options / first IPv6 extension header in `Packet.buf`, and its length. */
  optionsOffset = 0;
  optionsLen = 0;
  /** IPv6 extension header types in order (up to 8 recorded); count in `extCount`. */
  extTypes = new Uint8Array(8);
  extCount = 0;
}

/** TCP header. Options are a byte range; `tcpOptions()` parses them on demand. */
export class TcpHeader {
  srcPort = 0;
  dstPort = 0;
  seq = 0;
  ack = 0;
  headerLen = 0;
  /** Flag bits as in the header's 13th byte: FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10 URG 0x20 ECE 0x40 CWR 0x80. */
  flags = 0;
  window = 0;
  checksum = 0;
  urgent = 0;
  optionsOffset = 0;
  optionsLen = 0;
}

/** TCP flag bits. */
export const TcpFlag = {
  fin: 0x01,
  syn: 0x02,
  rst: 0x04,
  psh: 0x08,
  ack: 0x10,
  urg: 0x20,
  ece: 0x40,
  cwr: 0x80,
} as const;

/** UDP header. */
export class UdpHeader {
  srcPort = 0;
  dstPort = 0;
  length = 0;
  checksum = 0;
}

/** The inner header quoted by an ICMP error (destination unreachable, time exceeded, ...). */
export class IcmpQuote {
  ipVersion: 4 | 6 = 4;
  protocol = 0;
  src = new Uint32Array(4);
  dst = new Uint32Array(4);
  /** Ports of a quoted TCP/UDP header (0 when not quoted). */
  srcPort = 0;
  dstPort = 0;
}

/** ICMPv4 or ICMPv6 header (which one: `Packet.layers`). */
export class IcmpHeader {
  type = 0;
  code = 0;
  checksum = 0;
  /** Echo identifier and sequence (echo request/reply only). */
  id = 0;
  seq = 0;
  /** Valid when `Packet.layers` has `LayerBit.icmpQuote`. */
  quoted = new IcmpQuote();
}

/** One decoded frame. Reuse one instance across frames; `reset()` happens in `decodeFrame`. */
export class Packet {
  /** Bit set of {@link LayerBit}: which headers below hold this frame's values. */
  layers = 0;
  /** Frame metadata, copied from the {@link Frame}. */
  buf: Uint8Array = new Uint8Array(0);
  offset = 0;
  caplen = 0;
  len = 0;
  tsSec = 0;
  tsNsec = 0;
  linkType = 0;
  /** Capture time in seconds (float): what flows and detectors use as their clock. */
  ts = 0;
  eth = new EthernetHeader();
  vlan = new VlanTags();
  sll = new SllHeader();
  pppoe = new PppoeHeader();
  /** DLT_NULL / DLT_LOOP address family. */
  loopbackFamily = 0;
  arp = new ArpHeader();
  ip = new IpHeader();
  tcp = new TcpHeader();
  udp = new UdpHeader();
  icmp = new IcmpHeader();
  /** Offset in `buf` of the layer-3 header (or ARP), and of the L4 header. -1 when absent. */
  l3Offset = -1;
  l4Offset = -1;
  /** Payload after the last decoded header: offset in `buf` and length (bounded by caplen). */
  payloadOffset = 0;
  payloadLen = 0;
  /** The first problem met, or null. Layers decoded before it stay valid. */
  problem: DecodeProblem | null = null;
}
