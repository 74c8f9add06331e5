/**
 * libpcap link-layer types that pcap_ts decodes, and their dump names.
 *
 * @module
 */

/** Link-layer type numbers (DLT_* / LINKTYPE_*) that `decodeFrame` understands. */
export const LinkType = {
  /** BSD loopback, host-byte-order address family. */
  null: 0,
  /** Ethernet II (and 802.3). */
  ethernet: 1,
  /** Raw IP (DLT_RAW on most systems). */
  raw12: 12,
  /** Raw IP (DLT_RAW on OpenBSD). */
  raw14: 14,
  /** LINKTYPE_RAW. */
  raw: 101,
  /** OpenBSD loopback, network-byte-order address family. */
  loop: 108,
  /** Linux cooked capture v1. */
  linuxSll: 113,
  /** LINKTYPE_IPV4. */
  ipv4: 228,
  /** LINKTYPE_IPV6. */
  ipv6: 229,
  /** Linux cooked capture v2. */
  linuxSll2: 276,
} as const;

/** The dump name of a link type (`ethernet`, `linux_sll`, ...); unknown ones as `dlt_N`. */
export function linkTypeName(linkType: number): string {
  switch (linkType) {
    case 0:
      return "null";
    case 1:
      return "ethernet";
    case 12:
    case 14:
    case 101:
      return "raw";
    case 108:
      return "loop";
    case 113:
      return "linux_sll";
    case 228:
      return "ipv4";
    case 229:
      return "ipv6";
    case 276:
      return "linux_sll2";
    default:
      return `dlt_${linkType}`;
  }
}
