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
  dstOffset: number = 0;
  /** Offset of the source MAC (6 bytes) in `Packet.buf`. */
  srcOffset: number = 0;
  /** EtherType after any VLAN tags (the outermost is in `vlan`). */
  etherType: number = 0;
}

/** Maximum 802.1Q tags decoded per frame; deeper stacks are an anomaly. */
export const MAX_VLAN_TAGS = 4;

/** 802.1Q / 802.1ad tags, outermost first. */
export class VlanTags {
  /** Number of tags decoded (0 to MAX_VLAN_TAGS). */
  count: number = 0;
  /** VLAN ids (12 bits). */
  ids: Uint16Array = new Uint16Array(MAX_VLAN_TAGS);
  /** Priority code points (3 bits). */
  pcp: Uint8Array = new Uint8Array(MAX_VLAN_TAGS);
  /** TPID of each tag (0x8100, 0x88a8, 0x9100). */
  tpids: Uint16Array = new Uint16Array(MAX_VLAN_TAGS);
}

/** Linux cooked capture v1 or v2 header (DLT_LINUX_SLL, DLT_LINUX_SLL2). */
export class SllHeader {
  /** 1 for SLL (113), 2 for SLL2 (276). */
  version: 1 | 2 = 1;
  /** Packet type: 0 to us, 1 broadcast, 2 multicast, 3 to another host, 4 sent by us. */
  packetType: number = 0;
  /** ARPHRD_* type of the device. */
  arphrdType: number = 0;
  /** Link-layer address length and offset in `Packet.buf`. */
  addrLen: number = 0;
  /** Offset of the link-layer address in `Packet.buf`. */
  addrOffset: number = 0;
  /** Protocol (EtherType for most). */
  protocol: number = 0;
  /** SLL2 only: interface index. */
  ifIndex: number = 0;
}

/** PPPoE session header (RFC 2516) and the PPP protocol field after it. */
export class PppoeHeader {
  /** Version (high nibble) and type (low nibble): 0x11. */
  versionType: number = 0;
  /** Code: 0 for session data. */
  code: number = 0;
  /** Session identifier. */
  sessionId: number = 0;
  /** Length of the PPP frame (protocol field and payload). */
  length: number = 0;
  /** PPP protocol: 0x0021 IPv4, 0x0057 IPv6, ... (1 or 2 bytes on the wire). */
  pppProtocol: number = 0;
}

/** ARP over Ethernet/IPv4 (htype 1, ptype 0x0800); others keep only the fixed fields. */
export class ArpHeader {
  /** Hardware type (1: Ethernet). */
  hardwareType: number = 0;
  /** Protocol type (0x0800: IPv4). */
  protocolType: number = 0;
  /** Hardware address length (6 for Ethernet). */
  hardwareLen: number = 0;
  /** Protocol address length (4 for IPv4). */
  protocolLen: number = 0;
  /** 1 request, 2 reply. */
  op: number = 0;
  /** Offsets of the sender/target hardware addresses in `Packet.buf`. */
  senderMacOffset: number = 0;
  /** Offset of the target hardware address in `Packet.buf`. */
  targetMacOffset: number = 0;
  /** IPv4 addresses as unsigned 32-bit numbers (valid when protocolType is 0x0800). */
  senderIp: number = 0;
  /** Target IPv4 address (valid when protocolType is 0x0800). */
  targetIp: number = 0;
}

/** IPv4 or IPv6 header, in one shape so that flows and detectors need not branch. */
export class IpHeader {
  /** IP version. */
  version: 4 | 6 = 4;
  /** Header length in bytes (IPv6: 40 plus extension headers). */
  headerLen: number = 0;
  /** IPv4 TOS / IPv6 traffic class. */
  tos: number = 0;
  /** IPv4 total length / IPv6 40 + payload length, as in the header. */
  totalLen: number = 0;
  /** IPv4 identification, or IPv6 fragment header identification. */
  id: number = 0;
  /** IPv4 DF flag (false for IPv6). */
  dontFragment: boolean = false;
  /** IPv4 MF flag, or the IPv6 fragment header M flag. */
  moreFragments: boolean = false;
  /** Fragment offset in bytes. */
  fragOffset: number = 0;
  /** TTL / hop limit. */
  ttl: number = 0;
  /** Upper-layer protocol (IPv6: the last next-header value). */
  protocol: number = 0;
  /** IPv4 header checksum (0 for IPv6). */
  checksum: number = 0;
  /** IPv6 flow label. */
  flowLabel: number = 0;
  /**
   * Source and destination addresses as 32-bit words, most significant first.
   * IPv4 uses word 0 only (words 1 to 3 are 0).
   */
  src: Uint32Array = new Uint32Array(4);
  /** Destination address words (see `src`). */
  dst: Uint32Array = new Uint32Array(4);
  /** Offset of the IPv4 options / first IPv6 extension header in `Packet.buf`, and its length. */
  optionsOffset: number = 0;
  /** Length in bytes of the IPv4 options / IPv6 extension headers. */
  optionsLen: number = 0;
  /** IPv6 extension header types in order (up to 8 recorded); count in `extCount`. */
  extTypes: Uint8Array = new Uint8Array(8);
  /** Number of IPv6 extension header types recorded in `extTypes` (at most 8). */
  extCount: number = 0;
}

/** TCP header. Options are a byte range; `tcpOptions()` parses them on demand. */
export class TcpHeader {
  /** Source port. */
  srcPort: number = 0;
  /** Destination port. */
  dstPort: number = 0;
  /** Sequence number (unsigned 32-bit). */
  seq: number = 0;
  /** Acknowledgement number (unsigned 32-bit). */
  ack: number = 0;
  /** Header length in bytes (data offset × 4). */
  headerLen: number = 0;
  /** Flag bits as in the header's 13th byte: FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10 URG 0x20 ECE 0x40 CWR 0x80. */
  flags: number = 0;
  /** Window (unscaled). */
  window: number = 0;
  /** Checksum as in the header (not verified). */
  checksum: number = 0;
  /** Urgent pointer. */
  urgent: number = 0;
  /** Offset of the options in `Packet.buf`. */
  optionsOffset: number = 0;
  /** Length of the options in bytes. */
  optionsLen: number = 0;
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
  /** Source port. */
  srcPort: number = 0;
  /** Destination port. */
  dstPort: number = 0;
  /** Length field (header and payload) as in the header. */
  length: number = 0;
  /** Checksum as in the header (not verified). */
  checksum: number = 0;
}

/** The inner header quoted by an ICMP error (destination unreachable, time exceeded, ...). */
export class IcmpQuote {
  /** Version of the quoted IP header. */
  ipVersion: 4 | 6 = 4;
  /** Protocol of the quoted datagram. */
  protocol: number = 0;
  /** Quoted source address words (IPv4: word 0). */
  src: Uint32Array = new Uint32Array(4);
  /** Quoted destination address words (IPv4: word 0). */
  dst: Uint32Array = new Uint32Array(4);
  /** Ports of a quoted TCP/UDP header (0 when not quoted). */
  srcPort: number = 0;
  /** Quoted destination port (see `srcPort`). */
  dstPort: number = 0;
}

/** ICMPv4 or ICMPv6 header (which one: `Packet.layers`). */
export class IcmpHeader {
  /** ICMP type. */
  type: number = 0;
  /** ICMP code. */
  code: number = 0;
  /** Checksum as in the header (not verified). */
  checksum: number = 0;
  /** Echo identifier and sequence (echo request/reply only). */
  id: number = 0;
  /** Echo sequence number (see `id`). */
  seq: number = 0;
  /** Valid when `Packet.layers` has `LayerBit.icmpQuote`. */
  quoted: IcmpQuote = new IcmpQuote();
}

/** One decoded frame. Reuse one instance across frames; `reset()` happens in `decodeFrame`. */
export class Packet {
  /** Bit set of {@link LayerBit}: which headers below hold this frame's values. */
  layers: number = 0;
  /** Frame metadata, copied from the {@link Frame}. */
  buf: Uint8Array = new Uint8Array(0);
  /** Offset of the frame in `buf`. */
  offset: number = 0;
  /** Bytes captured. */
  caplen: number = 0;
  /** Length of the frame on the wire. */
  len: number = 0;
  /** Capture time: whole seconds since the Unix epoch. */
  tsSec: number = 0;
  /** Capture time: nanoseconds within the second. */
  tsNsec: number = 0;
  /** Link type (DLT) of the frame. */
  linkType: number = 0;
  /** Capture time in seconds (float): what flows and detectors use as their clock. */
  ts: number = 0;
  /** Ethernet header (valid with `LayerBit.ethernet`). */
  eth: EthernetHeader = new EthernetHeader();
  /** VLAN tags (valid with `LayerBit.vlan`). */
  vlan: VlanTags = new VlanTags();
  /** Linux cooked header (valid with `LayerBit.sll`). */
  sll: SllHeader = new SllHeader();
  /** PPPoE session header (valid with `LayerBit.pppoe`). */
  pppoe: PppoeHeader = new PppoeHeader();
  /** DLT_NULL / DLT_LOOP address family. */
  loopbackFamily: number = 0;
  /** ARP message (valid with `LayerBit.arp`). */
  arp: ArpHeader = new ArpHeader();
  /** IPv4 or IPv6 header (valid with `LayerBit.ipv4` or `LayerBit.ipv6`). */
  ip: IpHeader = new IpHeader();
  /** TCP header (valid with `LayerBit.tcp`). */
  tcp: TcpHeader = new TcpHeader();
  /** UDP header (valid with `LayerBit.udp`). */
  udp: UdpHeader = new UdpHeader();
  /** ICMPv4/ICMPv6 header (valid with `LayerBit.icmpv4` or `LayerBit.icmpv6`). */
  icmp: IcmpHeader = new IcmpHeader();
  /** Offset in `buf` of the layer-3 header (or ARP), and of the L4 header. -1 when absent. */
  l3Offset: number = -1;
  /** Offset in `buf` of the L4 header, -1 when absent (see `l3Offset`). */
  l4Offset: number = -1;
  /** Payload after the last decoded header: offset in `buf` and length (bounded by caplen). */
  payloadOffset: number = 0;
  /** Payload length (see `payloadOffset`). */
  payloadLen: number = 0;
  /** The first problem met, or null. Layers decoded before it stay valid. */
  problem: DecodeProblem | null = null;
}
