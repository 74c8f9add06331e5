/**
 * IP address and CIDR parsing for the ban code: exact, dependency-free, no DNS.
 *
 * Addresses are held as bytes (4 or 16); text is always the canonical form the kernel prints
 * (dotted quad, RFC 5952 IPv6), so that what pcap_ts stores and what `nft` lists compare equal.
 *
 * The parsing, masking and prefix matching are `decode/address.ts`'s (strict syntax); this
 * module keeps the byte form the ban code uses.
 *
 * @module
 */

import {
  hasHostBits,
  ipBytesToWords,
  ipToString,
  ipWordsToBytes,
  maskWords,
  parseIpWords,
  parsePrefixLen,
  prefixEquals,
} from "../decode/address.ts";

/** A parsed address or prefix. `bits` is 32/128 for a single address. */
export interface Cidr {
  readonly family: 4 | 6;
  readonly bytes: Uint8Array;
  readonly bits: number;
}

/** Parses dotted-quad IPv4 (no leading zeros, no shorthand); null when invalid. */
export function parseIpv4(text: string): Uint8Array | null {
  const words = new Uint32Array(4);
  return parseIpWords(text, words) === 4 ? ipWordsToBytes(4, words) : null;
}

/** Parses IPv6 text (with `::`, embedded IPv4 tail; no zone id); null when invalid. */
export function parseIpv6(text: string): Uint8Array | null {
  const words = new Uint32Array(4);
  return parseIpWords(text, words) === 6 ? ipWordsToBytes(6, words) : null;
}

/** Parses an address or `address/bits`; host bits must be zero in a prefix. Null when invalid. */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf("/");
  const words = new Uint32Array(4);
  const family = parseIpWords(slash < 0 ? text : text.slice(0, slash), words);
  if (family === 0) return null;
  let bits = family === 4 ? 32 : 128;
  if (slash >= 0) {
    bits = parsePrefixLen(text.slice(slash + 1), bits);
    if (bits < 0 || hasHostBits(words, bits)) return null;
  }
  return { family, bytes: ipWordsToBytes(family, words), bits };
}

/** Like {@link parseCidr} but clears host bits instead of refusing them (`10.0.0.5/8` → `10.0.0.0/8`). */
export function parseCidrLoose(text: string): Cidr | null {
  const c = parseCidr(text);
  if (c !== null) return c;
  const slash = text.indexOf("/");
  if (slash < 0) return null;
  const a = parseCidr(text.slice(0, slash));
  if (a === null) return null;
  const bits = parsePrefixLen(text.slice(slash + 1), a.bits, true);
  if (bits < 0) return null;
  return { family: a.family, bytes: maskBytes(a.bytes, bits), bits };
}

function maskBytes(bytes: Uint8Array, bits: number): Uint8Array {
  return ipWordsToBytes(bytes.length === 4 ? 4 : 6, maskWords(ipBytesToWords(bytes), bits));
}

/** True when `inner` (address or prefix) lies entirely inside `outer`. */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  if (outer.family !== inner.family || inner.bits < outer.bits) return false;
  return prefixEquals(ipBytesToWords(outer.bytes), 0, ipBytesToWords(inner.bytes), 0, outer.bits);
}

/** True when the two blocks share at least one address. */
export function cidrOverlaps(a: Cidr, b: Cidr): boolean {
  return cidrContains(a, b) || cidrContains(b, a);
}

/** The prefix of `bits` bits that holds `c` (`prefixOf(fd00::5, 64)` → `fd00::/64`). */
export function prefixOf(c: Cidr, bits: number): Cidr {
  return { family: c.family, bytes: maskBytes(c.bytes, bits), bits };
}

/** Canonical text: dotted quad or RFC 5952 IPv6, with `/bits` when a prefix. */
export function formatCidr(c: Cidr): string {
  const max = c.family === 4 ? 32 : 128;
  // IPv4-mapped addresses keep their dotted tail, as the kernel and nft print them.
  const addr = ipToString(c.family, ipBytesToWords(c.bytes));
  return c.bits === max ? addr : `${addr}/${c.bits}`;
}

/**
 * Canonical text of an address or prefix; an IPv4-mapped IPv6 address (`::ffff:1.2.3.4`)
 * becomes its IPv4 address, since that is what the IPv4 firewall sees. Null when invalid.
 */
export function normalizeIp(text: string): string | null {
  const c = parseCidr(text.trim());
  if (c === null) return null;
  return formatCidr(unmapIpv4(c));
}

/** `::ffff:a.b.c.d` (as an address or a prefix of at least 96 bits) → IPv4. */
export function unmapIpv4(c: Cidr): Cidr {
  if (c.family !== 6 || c.bits < 96) return c;
  for (let i = 0; i < 10; i++) if (c.bytes[i] !== 0) return c;
  if (c.bytes[10] !== 0xff || c.bytes[11] !== 0xff) return c;
  return { family: 4, bytes: c.bytes.slice(12), bits: c.bits - 96 };
}
