/**
 * Address text: IPv4 numbers to dotted quads, IPv6 words to RFC 5952 text, MAC bytes to
 * `aa:bb:cc:dd:ee:ff`, and the reverse parsing of IP addresses and CIDR blocks. This is the
 * one parser and prefix matcher of pcap_ts: `flow/address.ts`, `config/cidr.ts` and
 * `actions/safety_ip.ts` are thin adapters over it (each keeps its own accepted syntax,
 * through {@link IpSyntax}).
 *
 * Addresses are held as in {@link IpHeader}: four 32-bit words, most significant first;
 * IPv4 uses word 0 only.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ipv6ToString, parseIp } from "./address.ts";
 * const ip = parseIp("2001:db8:0:0:1:0:0:1");
 * assert.ok(ip !== null && ipv6ToString(ip.words) === "2001:db8::1:0:0:1");
 * ```
 *
 * @module
 */

/** An IP address parsed from text. */
export interface ParsedIp {
  /** IP version. */
  version: 4 | 6;
  /** Four words, most significant first (IPv4: word 0, others 0). */
  words: Uint32Array;
}

/** An IP network parsed from `addr/len` text. */
export interface ParsedCidr extends ParsedIp {
  /** Prefix length in bits (0-32 for IPv4, 0-128 for IPv6). */
  prefixLen: number;
}

/** Dotted-quad text of an IPv4 address held as an unsigned (or signed) 32-bit number. */
export function ipv4ToString(addr: number): string {
  return `${(addr >>> 24) & 255}.${(addr >>> 16) & 255}.${(addr >>> 8) & 255}.${addr & 255}`;
}

/**
 * RFC 5952 text of an IPv6 address: lower-case hex, no leading zeros, the longest run (the
 * first of equals) of two or more zero groups as `::`, and IPv4-mapped addresses
 * (`::ffff:0:0/96`) as `::ffff:a.b.c.d` unless `mappedIpv4` is false (then `::ffff:c000:201`).
 */
export function ipv6ToString(words: ArrayLike<number>, mappedIpv4 = true): string {
  const w0 = words[0]! >>> 0, w1 = words[1]! >>> 0, w2 = words[2]! >>> 0, w3 = words[3]! >>> 0;
  if (mappedIpv4 && w0 === 0 && w1 === 0 && w2 === 0xffff) return "::ffff:" + ipv4ToString(w3);
  const g = [
    w0 >>> 16,
    w0 & 0xffff,
    w1 >>> 16,
    w1 & 0xffff,
    w2 >>> 16,
    w2 & 0xffff,
    w3 >>> 16,
    w3 &
    0xffff,
  ];
  let bestStart = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number, b: number) => g.slice(a, b).map((x) => x.toString(16)).join(":");
  if (bestLen < 2) return hex(0, 8);
  return hex(0, bestStart) + "::" + hex(bestStart + bestLen, 8);
}

/** Text of an IPv4 or IPv6 address held as words. */
export function ipToString(version: number, words: ArrayLike<number>): string {
  return version === 4 ? ipv4ToString(words[0]!) : ipv6ToString(words);
}

/** `aa:bb:cc:dd:ee:ff` text of the 6 bytes at `offset` (fewer when `len` says so). */
export function macToString(buf: Uint8Array, offset: number, len = 6): string {
  let s = "";
  for (let i = 0; i < len; i++) {
    if (i > 0) s += ":";
    s += (buf[offset + i] ?? 0).toString(16).padStart(2, "0");
  }
  return s;
}

/**
 * Which address text a parser accepts beyond the strict form (dotted quads without leading
 * zeros; in IPv6, a dotted quad only as the last two groups). Each caller keeps the syntax
 * it has always accepted.
 */
export interface IpSyntax {
  /** Accept IPv4 parts with leading zeros (`010.0.0.1`, `::ffff:192.000.2.1`). */
  readonly leadingZeros?: boolean;
  /** Accept a dotted quad just before `::` (`1.2.3.4::`). */
  readonly dottedQuadBeforeGap?: boolean;
}

const STRICT: IpSyntax = {};
const IPV4_PART = /^(0|[1-9][0-9]{0,2})$/;
const IPV4_PART_LEADING_ZEROS = /^[0-9]{1,3}$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;
/** The longest IPv6 text: `ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255`. */
const MAX_IPV6_TEXT = 45;

/** Dotted quad as an unsigned number, or -1. */
function parseIpv4Number(text: string, leadingZeros: boolean): number {
  const parts = text.split(".");
  if (parts.length !== 4) return -1;
  const re = leadingZeros ? IPV4_PART_LEADING_ZEROS : IPV4_PART;
  let v = 0;
  for (const part of parts) {
    if (!re.test(part)) return -1;
    const n = Number(part);
    if (n > 255) return -1;
    v = v * 256 + n;
  }
  return v;
}

/**
 * Appends the 16-bit groups of `text` (`a:b:c`, the last one possibly a dotted quad when
 * `dottedQuadLast`) to `out`; false when a group is malformed.
 */
function parseIpv6Groups(
  text: string,
  dottedQuadLast: boolean,
  leadingZeros: boolean,
  out: number[],
): boolean {
  if (text.length === 0) return true;
  const parts = text.split(":");
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (dottedQuadLast && i === parts.length - 1 && part.includes(".")) {
      const v4 = parseIpv4Number(part, leadingZeros);
      if (v4 < 0) return false;
      out.push(Math.floor(v4 / 65536), v4 % 65536);
    } else {
      if (!HEX_GROUP.test(part)) return false;
      out.push(parseInt(part, 16));
    }
  }
  return true;
}

/**
 * Parses IPv4 dotted-quad or IPv6 text (with `::` and an optional trailing dotted quad; no
 * zone index) into `out` (four words, IPv4 in word 0). Returns the version, or 0 for
 * anything else; `out` is all zeros then. Allocates only small temporaries (cold path).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseIpWords } from "./address.ts";
 * const w = new Uint32Array(4);
 * assert.equal(parseIpWords("::ffff:192.0.2.1", w), 6);
 * assert.equal(parseIpWords("010.0.0.1", w), 0);
 * assert.equal(parseIpWords("010.0.0.1", w, { leadingZeros: true }), 4);
 * ```
 */
export function parseIpWords(text: string, out: Uint32Array, syntax: IpSyntax = STRICT): 0 | 4 | 6 {
  out.fill(0);
  const leadingZeros = syntax.leadingZeros === true;
  if (!text.includes(":")) {
    const v4 = parseIpv4Number(text, leadingZeros);
    if (v4 < 0) return 0;
    out[0] = v4;
    return 4;
  }
  if (text.length > MAX_IPV6_TEXT) return 0;
  const groups: number[] = [];
  const gap = text.indexOf("::");
  if (gap < 0) {
    if (!parseIpv6Groups(text, true, leadingZeros, groups) || groups.length !== 8) return 0;
  } else {
    if (text.indexOf("::", gap + 1) >= 0) return 0;
    const head = text.slice(0, gap);
    // A dotted quad may only end the address (RFC 4291 2.2).
    const quadBefore = syntax.dottedQuadBeforeGap === true;
    if (!quadBefore && head.includes(".")) return 0;
    const tail: number[] = [];
    if (
      !parseIpv6Groups(head, quadBefore, leadingZeros, groups) ||
      !parseIpv6Groups(text.slice(gap + 2), true, leadingZeros, tail) ||
      groups.length + tail.length > 7
    ) return 0;
    while (groups.length + tail.length < 8) groups.push(0);
    groups.push(...tail);
  }
  for (let i = 0; i < 4; i++) out[i] = groups[2 * i]! * 65536 + groups[2 * i + 1]!;
  return 6;
}

/**
 * Parses IPv4 dotted-quad or IPv6 text (with `::` and an optional trailing dotted quad; no
 * zone index). Returns null for anything else.
 */
export function parseIp(text: string): ParsedIp | null {
  const words = new Uint32Array(4);
  const version = parseIpWords(text, words);
  return version === 0 ? null : { version, words };
}

/**
 * The prefix length in `text` (after the `/`): decimal, at most `max`, without leading
 * zeros unless `leadingZeros`. -1 when invalid.
 */
export function parsePrefixLen(text: string, max: number, leadingZeros = false): number {
  if (!(leadingZeros ? IPV4_PART_LEADING_ZEROS : IPV4_PART).test(text)) return -1;
  const n = Number(text);
  return n > max ? -1 : n;
}

/**
 * Parses `addr/len` (or a bare address, as a host network). Host bits are cleared. Returns
 * null for bad text or a prefix longer than the address.
 */
export function parseCidr(text: string): ParsedCidr | null {
  const slash = text.indexOf("/");
  const ip = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (ip === null) return null;
  const max = ip.version === 4 ? 32 : 128;
  let prefixLen = max;
  if (slash >= 0) {
    prefixLen = parsePrefixLen(text.slice(slash + 1), max);
    if (prefixLen < 0) return null;
  }
  maskWords(ip.words, prefixLen);
  return { version: ip.version, words: ip.words, prefixLen };
}

/** The mask of address word `word` (0 to 3) under a prefix of `prefixLen` bits, unsigned. */
export function prefixMask(prefixLen: number, word: number): number {
  const bits = prefixLen - 32 * word;
  if (bits <= 0) return 0;
  if (bits >= 32) return 0xffffffff;
  return (0xffffffff << (32 - bits)) >>> 0;
}

/** Clears the bits of `words` (four address words) after the first `prefixLen`. */
export function maskWords(words: Uint32Array, prefixLen: number): Uint32Array {
  for (let i = 0; i < 4; i++) words[i] = words[i]! & prefixMask(prefixLen, i);
  return words;
}

/** True when `words` (four address words) has a bit set after the first `prefixLen`. */
export function hasHostBits(words: ArrayLike<number>, prefixLen: number): boolean {
  for (let i = 0; i < 4; i++) {
    if (((words[i]! & ~prefixMask(prefixLen, i)) >>> 0) !== 0) return true;
  }
  return false;
}

/**
 * True when the first `prefixLen` bits of two addresses are equal: the words of `a` from
 * `aOffset` and of `b` from `bOffset` (host bits of either are ignored). Allocates nothing;
 * reads only the words the prefix covers.
 */
export function prefixEquals(
  a: ArrayLike<number>,
  aOffset: number,
  b: ArrayLike<number>,
  bOffset: number,
  prefixLen: number,
): boolean {
  for (let i = 0; i < 4 && 32 * i < prefixLen; i++) {
    if (((a[aOffset + i]! ^ b[bOffset + i]!) & prefixMask(prefixLen, i)) !== 0) return false;
  }
  return true;
}

/**
 * True when the address (`version`, `words`) is inside `cidr`. Allocates nothing. A `cidr`
 * with host bits set (not one from {@link parseCidr}) contains nothing.
 */
export function cidrContains(cidr: ParsedCidr, version: number, words: ArrayLike<number>): boolean {
  return cidr.version === version && prefixEquals(words, 0, cidr.words, 0, cidr.prefixLen) &&
    !hasHostBits(cidr.words, cidr.prefixLen);
}

/** Four address words of a 4-byte (IPv4) or 16-byte (IPv6) address. */
export function ipBytesToWords(bytes: ArrayLike<number>): Uint32Array {
  const words = new Uint32Array(4);
  for (let i = 0; i < bytes.length; i++) {
    words[i >> 2] = words[i >> 2]! | (bytes[i]! << (24 - 8 * (i & 3)));
  }
  return words;
}

/** The 4 (IPv4) or 16 (IPv6) bytes of an address held as words. */
export function ipWordsToBytes(version: number, words: ArrayLike<number>): Uint8Array {
  const bytes = new Uint8Array(version === 4 ? 4 : 16);
  for (let i = 0; i < bytes.length; i++) bytes[i] = words[i >> 2]! >>> (24 - 8 * (i & 3));
  return bytes;
}

/** True when two addresses held as words are equal (IPv4 compares word 0 only). */
export function ipEquals(
  version: number,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
): boolean {
  if ((a[0]! >>> 0) !== (b[0]! >>> 0)) return false;
  if (version === 4) return true;
  return (a[1]! >>> 0) === (b[1]! >>> 0) && (a[2]! >>> 0) === (b[2]! >>> 0) &&
    (a[3]! >>> 0) === (b[3]! >>> 0);
}

/** A string key for an address (its text form): for maps off the hot path. */
export function ipKey(version: number, words: ArrayLike<number>): string {
  return ipToString(version, words);
}
