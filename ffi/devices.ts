/**
 * Capture devices, as libpcap's `pcap_findalldevs` lists them.
 *
 * @module
 */

import { cString, ERRBUF_SIZE, errbufText, libpcap, PcapError } from "./libpcap.ts";
import { ipBytesToWords, ipv6ToString } from "../decode/address.ts";

/** One address of a device. */
export interface DeviceAddress {
  /** "ipv4", "ipv6" or "link" (MAC address of an AF_PACKET entry). */
  family: "ipv4" | "ipv6" | "link";
  /** Printable address: dotted quad, RFC 5952 IPv6, or colon-separated MAC. */
  address: string;
  /** Printable netmask (IP families), or null. */
  netmask: string | null;
}

/** A capture device. */
export interface Device {
  name: string;
  /** libpcap's description, or null. */
  description: string | null;
  addresses: DeviceAddress[];
  up: boolean;
  running: boolean;
  loopback: boolean;
  wireless: boolean;
}

// pcap_if_t on x86-64: next, name, description, addresses (pointers), flags (u32).
const IF_NEXT = 0, IF_NAME = 8, IF_DESCRIPTION = 16, IF_ADDRESSES = 24, IF_FLAGS = 32;
// struct pcap_addr: next, addr, netmask, broadaddr, dstaddr.
const ADDR_NEXT = 0, ADDR_ADDR = 8, ADDR_NETMASK = 16;
const PCAP_IF_LOOPBACK = 0x1, PCAP_IF_UP = 0x2, PCAP_IF_RUNNING = 0x4, PCAP_IF_WIRELESS = 0x8;
const AF_INET = 2, AF_INET6 = 10, AF_PACKET = 17;

/** Formats 16 bytes as an IPv6 address (RFC 5952: lowercase, longest zero run as `::`). */
export function formatIpv6(b: Uint8Array): string {
  return ipv6ToString(ipBytesToWords(b), false);
}

function sockaddr(p: Deno.PointerValue): DeviceAddress | null {
  if (p === null) return null;
  const v = new Deno.UnsafePointerView(p);
  const family = v.getUint16(0);
  if (family === AF_INET) {
    const b = new Uint8Array(4);
    v.copyInto(b, 4);
    return { family: "ipv4", address: b.join("."), netmask: null };
  }
  if (family === AF_INET6) {
    const b = new Uint8Array(16);
    v.copyInto(b, 8);
    return { family: "ipv6", address: formatIpv6(b), netmask: null };
  }
  if (family === AF_PACKET) {
    const halen = v.getUint8(11);
    const b = new Uint8Array(Math.min(halen, 8));
    v.copyInto(b, 12);
    return {
      family: "link",
      address: Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(":"),
      netmask: null,
    };
  }
  return null;
}

/**
 * Lists the capture devices libpcap sees (also the ones that are down).
 *
 * @throws {PcapError} when libpcap cannot list them
 */
export function listDevices(): Device[] {
  const lib = libpcap();
  const head = new BigUint64Array(1);
  const errbuf = new Uint8Array(ERRBUF_SIZE);
  if (lib.pcap_findalldevs(new Uint8Array(head.buffer), errbuf) !== 0) {
    throw new PcapError(`Cannot list capture devices: ${errbufText(errbuf)}`);
  }
  const first = Deno.UnsafePointer.create(head[0]!);
  const devices: Device[] = [];
  try {
    for (let d = first; d !== null;) {
      const v = new Deno.UnsafePointerView(d);
      const flags = v.getUint32(IF_FLAGS);
      const description = cString(v.getPointer(IF_DESCRIPTION));
      const addresses: DeviceAddress[] = [];
      for (let a = v.getPointer(IF_ADDRESSES); a !== null;) {
        const av = new Deno.UnsafePointerView(a);
        const addr = sockaddr(av.getPointer(ADDR_ADDR));
        if (addr !== null) {
          const mask = sockaddr(av.getPointer(ADDR_NETMASK));
          if (mask !== null && mask.family === addr.family) addr.netmask = mask.address;
          addresses.push(addr);
        }
        a = av.getPointer(ADDR_NEXT);
      }
      devices.push({
        name: cString(v.getPointer(IF_NAME)),
        description: description === "" ? null : description,
        addresses,
        up: (flags & PCAP_IF_UP) !== 0,
        running: (flags & PCAP_IF_RUNNING) !== 0,
        loopback: (flags & PCAP_IF_LOOPBACK) !== 0,
        wireless: (flags & PCAP_IF_WIRELESS) !== 0,
      });
      d = v.getPointer(IF_NEXT);
    }
  } finally {
    if (first !== null) lib.pcap_freealldevs(first);
  }
  return devices;
}

/**
 * The default capture device: the first one that is up and not loopback (and not a
 * pseudo-device such as "any").
 *
 * @throws {PcapError} listing the devices seen when none qualifies
 */
export function defaultDevice(): Device {
  const all = listDevices();
  const pseudo = (d: Device) =>
    d.name === "any" || d.name.startsWith("nflog") || d.name.startsWith("nfqueue") ||
    d.name.startsWith("dbus-") || d.name.startsWith("bluetooth");
  const found = all.find((d) => d.up && !d.loopback && !pseudo(d));
  if (found) return found;
  const real = all.filter((d) => !pseudo(d));
  const seen = real.length === 0
    ? "libpcap sees no device at all (capturing may need root or CAP_NET_RAW+CAP_NET_ADMIN)"
    : `devices seen: ${
      real.map((d) => `${d.name} (${d.up ? "up" : "down"}${d.loopback ? ", loopback" : ""})`)
        .join(", ")
    }`;
  throw new PcapError(
    `No capture device is up apart from loopback; name one with --interface (${seen})`,
  );
}
