/**
 * Addresses as the flow table holds them (4 × 32-bit words, IPv4 in word 0), numeric keys
 * for per-source maps, CIDR matching, and text conversion for the cold path (alerts, config).
 *
 * @module
 */

/** Parses an IPv4 or IPv6 address into words; returns the family (4 or 6) or 0 when invalid. */
export function parseIp(text: string, out: Uint32Array): 0 | 4 | 6 {
  out.fill(0);
  if (text.includes(":")) {
    let s = text;
    // An IPv4 tail (::ffff:192.0.2.1) becomes two hex groups.
    const lastColon = s.lastIndexOf(":");
    if (s.slice(lastColon + 1).includes(".")) {
      const w = new Uint32Array(4);
      if (parseIp(s.slice(lastColon + 1), w) !== 4) return 0;
      s = `${s.slice(0, lastColon + 1)}${(w[0]! >>> 16).toString(16)}:${
        (w[0]! & 0xffff).toString(16)
      }`;
    }
    const halves = s.split("::");
    if (halves.length > 2) return 0;
    const head = halves[0] ? halves[0].split(":") : [];
    const rest = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
    const groups: number[] = [];
    for (const g of head) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return 0;
      groups.push(parseInt(g, 16));
    }
    const back: number[] = [];
    for (const g of rest) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return 0;
      back.push(parseInt(g, 16));
    }
    const missing = 8 - groups.length - back.length;
    if (halves.length === 1 ? missing !== 0 : missing < 1) return 0;
    const all = [...groups, ...new Array<number>(missing).fill(0), ...back];
    for (let i = 0; i < 4; i++) out[i] = ((all[2 * i]! << 16) | all[2 * i + 1]!) >>> 0;
    return 6;
  }
  const parts = text.split(".");
  if (parts.length !== 4) return 0;
  let v = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return 0;
    const n = Number(p);
    if (n > 255) return 0;
    v = v * 256 + n;
  }
  out[0] = v;
  return 4;
}

/** Formats words of family 4 or 6 as text (RFC 5952 for IPv6). */
export function formatIp(fam: number, words: ArrayLike<number>, offset = 0): string {
  if (fam === 4) {
    const v = words[offset]! >>> 0;
    return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
  }
  const g: number[] = [];
  for (let i = 0; i < 4; i++) {
    const w = words[offset + i]! >>> 0;
    g.push(w >>> 16, w & 0xffff);
  }
  // Longest run of two or more zero groups becomes "::".
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(":");
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
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

/** A parsed CIDR block. */
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
      let bits = c.bits, ok = true;
      for (let i = 0; i < 4 && bits > 0; i++, bits -= 32) {
        const m = bits >= 32 ? 0xffffffff : ~(0xffffffff >>> bits);
        if (((words[offset + i]! ^ c.words[i]!) & m) !== 0) {
          ok = false;
          break;
        }
      }
      if (ok) return true;
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
