/**
 * IPv4/IPv6 addresses and CIDR blocks as written in the config (`"192.0.2.0/24"`,
 * `"2001:db8::/32"`, `"10.0.0.1"`). Parsing is `decode/address.ts`'s, with the config's
 * lenient syntax: leading zeros in IPv4 parts and prefix lengths, and a dotted quad before
 * `::`.
 *
 * @module
 */

import { type IpSyntax, ipWordsToBytes, parseIpWords, parsePrefixLen } from "../decode/address.ts";

/** What the config has always accepted on top of the strict form. */
const CONFIG_SYNTAX: IpSyntax = { leadingZeros: true, dottedQuadBeforeGap: true };

/** A parsed address or CIDR block. */
export interface Cidr {
  family: 4 | 6;
  /** Address bytes (4 or 16). */
  bytes: Uint8Array;
  /** Prefix length: 32 or 128 for a single address. */
  prefix: number;
}

/** Parses dotted-quad IPv4 into 4 bytes, or null. */
export function parseIpv4(text: string): Uint8Array | null {
  const words = new Uint32Array(4);
  return parseIpWords(text, words, CONFIG_SYNTAX) === 4 ? ipWordsToBytes(4, words) : null;
}

/** Parses IPv6 text (with `::` and an optional trailing dotted quad) into 16 bytes, or null. */
export function parseIpv6(text: string): Uint8Array | null {
  const words = new Uint32Array(4);
  return parseIpWords(text, words, CONFIG_SYNTAX) === 6 ? ipWordsToBytes(6, words) : null;
}

/**
 * Parses an IPv4/IPv6 address or CIDR block; null when it is neither.
 *
 * @example
 * ```ts
 * import { parseCidr } from "./cidr.ts";
 * console.assert(parseCidr("192.0.2.0/24")?.prefix === 24);
 * console.assert(parseCidr("10.0.0.0/33") === null);
 * ```
 */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf("/");
  const words = new Uint32Array(4);
  const family = parseIpWords(slash < 0 ? text : text.slice(0, slash), words, CONFIG_SYNTAX);
  if (family === 0) return null;
  const bytes = ipWordsToBytes(family, words);
  const max = family === 4 ? 32 : 128;
  if (slash < 0) return { family, bytes, prefix: max };
  const prefix = parsePrefixLen(text.slice(slash + 1), max, true);
  return prefix < 0 ? null : { family, bytes, prefix };
}
