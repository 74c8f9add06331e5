/**
 * Address text: IPv4 numbers to dotted quads, IPv6 words to RFC 5952 text, MAC bytes to
 * `aa:bb:cc:dd:ee:ff`, and the reverse parsing of IP addresses and CIDR blocks.
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
 * (`::ffff:0:0/96`) as `::ffff:a.b.c.d`.
 */
export function ipv6ToString(words: ArrayLike<number>): string {
  const w0 = words[0]! >>> 0, w1 = words[1]! >>> 0, w2 = words[2]! >>> 0, w3 = words[3]! >>> 0;
  if (w0 === 0 && w1 === 0 && w2 === 0xffff) return "::ffff:" + ipv4ToString(w3);
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

function parseIpv4Word(text: string): number | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  let v = 0;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return null;
    const n = Number(part);
    if (n > 255) return null;
    v = v * 256 + n;
  }
  return v;
}

function parseIpv6Groups(text: string): number[] | null {
  if (text.length === 0) return [];
  const out: number[] = [];
  const parts = text.split(":");
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (i === parts.length - 1 && part.includes(".")) {
      const v4 = parseIpv4Word(part);
      if (v4 === null) return null;
      out.push(Math.floor(v4 / 65536), v4 % 65536);
    } else {
      if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return null;
      out.push(parseInt(part, 16));
    }
  }
  return out;
}

/**
 * Parses IPv4 dotted-quad or IPv6 text (with `::` and an optional trailing dotted quad; no
 * zone index). Returns null for anything else.
 */
export function parseIp(text: string): ParsedIp | null {
  const words = new Uint32Array(4);
  if (!text.includes(":")) {
    const v4 = parseIpv4Word(text);
    if (v4 === null) return null;
    words[0] = v4;
    return { version: 4, words };
  }
  let groups: number[];
  const dbl = text.indexOf("::");
  if (dbl >= 0) {
    // A dotted quad may only end the address (RFC 4291 2.2).
    if (text.indexOf("::", dbl + 1) >= 0 || text.slice(0, dbl).includes(".")) return null;
    const head = parseIpv6Groups(text.slice(0, dbl));
    const tail = parseIpv6Groups(text.slice(dbl + 2));
    if (head === null || tail === null || head.length + tail.length > 7) return null;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    const all = parseIpv6Groups(text);
    if (all === null || all.length !== 8) return null;
    groups = all;
  }
  for (let i = 0; i < 4; i++) words[i] = groups[2 * i]! * 65536 + groups[2 * i + 1]!;
  return { version: 6, words };
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
    const t = text.slice(slash + 1);
    if (!/^(0|[1-9][0-9]{0,2})$/.test(t)) return null;
    prefixLen = Number(t);
    if (prefixLen > max) return null;
  }
  const words = ip.words;
  for (let i = 0; i < 4; i++) words[i] = words[i]! & prefixMask(prefixLen, i);
  return { version: ip.version, words, prefixLen };
}

function prefixMask(prefixLen: number, word: number): number {
  const bits = prefixLen - 32 * word;
  if (bits <= 0) return 0;
  if (bits >= 32) return 0xffffffff;
  return (0xffffffff << (32 - bits)) >>> 0;
}

/** True when the address (`version`, `words`) is inside `cidr`. Allocates nothing. */
export function cidrContains(cidr: ParsedCidr, version: number, words: ArrayLike<number>): boolean {
  if (cidr.version !== version) return false;
  for (let i = 0; i < 4; i++) {
    if (((words[i]! & prefixMask(cidr.prefixLen, i)) >>> 0) !== cidr.words[i]) return false;
  }
  return true;
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
