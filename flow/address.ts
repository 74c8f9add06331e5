/**
 * Addresses as the flow table holds them (4 × 32-bit words, IPv4 in word 0), numeric keys
 * for per-source maps, CIDR matching, and text conversion for the cold path (alerts, config).
 *
 * @module
 */

import {
  type IpSyntax,
  ipv4ToString,
  ipv6ToString,
  parseIpWords,
  prefixEquals,
} from "../decode/address.ts";

/** What the flow layer has always accepted: the strict form, plus leading zeros in IPv4 parts. */
const FLOW_SYNTAX: IpSyntax = { leadingZeros: true };

/**
 * Parses an IPv4 or IPv6 address into words; returns the family (4 or 6) or 0 when invalid
 * (then `out` is all zeros). IPv4 parts may have leading zeros (`010.0.0.1`).
 */
export function parseIp(text: string, out: Uint32Array): 0 | 4 | 6 {
  return parseIpWords(text, out, FLOW_SYNTAX);
}

/**
 * Formats words of family 4 or 6 as text (RFC 5952 for IPv6; an IPv4-mapped address stays
 * hex: `::ffff:c000:201`).
 */
export function formatIp(fam: number, words: ArrayLike<number>, offset = 0): string {
  if (fam === 4) return ipv4ToString(words[offset]!);
  const w = [words[offset]!, words[offset + 1]!, words[offset + 2]!, words[offset + 3]!];
  return ipv6ToString(w, false);
}

function mix(h: number, v: number): number {
  h = Math.imul(h ^ v, 0x9e3779b1);
  return (h ^ (h >>> 15)) | 0;
}

/**
 * A number that identifies an address (for `Map<number, ...>` keys without strings):
 * IPv4 is the address itself (< 2^32); IPv6 is 2^32 plus a 52-bit hash (two IPv6 sources
 * share a key with probability about n² / 2^53: negligible at the per-source caps used).
 */
export function addressKey(fam: number, words: ArrayLike<number>, offset = 0): number {
  if (fam === 4) return words[offset]! >>> 0;
  let a = 0x12345678, b = 0x6a09e667;
  for (let i = 0; i < 4; i++) {
    a = mix(a, words[offset + i]!);
    b = mix(b, words[offset + i]! ^ 0x5bd1e995);
  }
  return 4294967296 + (a >>> 0) + (b & 0xfffff) * 4294967296;
}

/** A 53-bit key for a pair of addresses (and a small extra number such as a port or protocol). */
export function pairKey(
  fam: number,
  a: ArrayLike<number>,
  aOff: number,
  b: ArrayLike<number>,
  bOff: number,
  extra: number,
): number {
  let h1 = mix(0x243f6a88, fam | (extra << 8));
  let h2 = mix(0x13198a2e, extra ^ fam);
  const n = fam === 4 ? 1 : 4;
  for (let i = 0; i < n; i++) {
    h1 = mix(h1, a[aOff + i]!);
    h2 = mix(h2, a[aOff + i]! ^ 0x7f4a7c15);
  }
  for (let i = 0; i < n; i++) {
    h1 = mix(h1, b[bOff + i]!);
    h2 = mix(h2, b[bOff + i]! ^ 0x1b873593);
  }
  return (h1 >>> 0) + (h2 & 0x1fffff) * 4294967296;
}

/** A parsed CIDR block: words with the host bits as written (matching ignores them). */
interface Cidr {
  fam: 4 | 6;
  words: Uint32Array;
  bits: number;
}

/** Matches addresses against a list of CIDR blocks (IPv4 and IPv6). */
export class CidrSet {
  private readonly v4: Cidr[] = [];
  private readonly v6: Cidr[] = [];

  /** Parses `cidrs` ("10.0.0.0/8", "fd00::/8", "192.0.2.7"); throws on an invalid entry. */
  constructor(cidrs: readonly string[]) {
    for (const c of cidrs) {
      const [addr, len] = c.trim().split("/");
      const words = new Uint32Array(4);
      const fam = parseIp(addr ?? "", words);
      if (fam === 0) throw new Error(`Cannot use "${c}" as an address or CIDR block`);
      const bits = len === undefined ? (fam === 4 ? 32 : 128) : Number(len);
      if (!Number.isInteger(bits) || bits < 0 || bits > (fam === 4 ? 32 : 128)) {
        throw new Error(`Cannot use "${c}": prefix length must be 0 to ${fam === 4 ? 32 : 128}`);
      }
      (fam === 4 ? this.v4 : this.v6).push({ fam, words, bits });
    }
  }

  /** Number of blocks. */
  get size(): number {
    return this.v4.length + this.v6.length;
  }

  /** True when the address (`words` from `offset`) lies in one of the blocks. */
  has(fam: number, words: ArrayLike<number>, offset = 0): boolean {
    const list = fam === 4 ? this.v4 : this.v6;
    for (let k = 0; k < list.length; k++) {
      const c = list[k]!;
      if (prefixEquals(words, offset, c.words, 0, c.bits)) return true;
    }
    return false;
  }
}

/** True for multicast or broadcast destinations (never scan targets). */
export function isMulticastOrBroadcast(fam: number, words: ArrayLike<number>, offset = 0): boolean {
  const w = words[offset]! >>> 0;
  if (fam === 4) return (w >>> 28) === 0xe || w === 0xffffffff || (w & 0xff) === 0xff;
  return (w >>> 24) === 0xff;
}
