/**
 * IP address and CIDR parsing for the ban code: exact, dependency-free, no DNS.
 *
 * Addresses are held as bytes (4 or 16); text is always the canonical form the kernel prints
 * (dotted quad, RFC 5952 IPv6), so that what pcap_ts stores and what `nft` lists compare equal.
 *
 * @module
 */

/** A parsed address or prefix. `bits` is 32/128 for a single address. */
export interface Cidr {
  readonly family: 4 | 6;
  readonly bytes: Uint8Array;
  readonly bits: number;
}

/** Parses dotted-quad IPv4 (no leading zeros, no shorthand); null when invalid. */
export function parseIpv4(text: string): Uint8Array | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    out[i] = n;
  }
  return out;
}

/** Parses IPv6 text (with `::`, embedded IPv4 tail; no zone id); null when invalid. */
export function parseIpv6(text: string): Uint8Array | null {
  if (text.length < 2 || text.length > 45 || text.includes("%")) return null;
  let head = text, tail = "";
  const dc = text.indexOf("::");
  if (dc >= 0) {
    if (text.indexOf("::", dc + 1) >= 0) return null;
    head = text.slice(0, dc);
    tail = text.slice(dc + 2);
  }
  const words: number[] = [];
  const parseGroups = (s: string, allowV4Tail: boolean): number[] | null => {
    if (s === "") return [];
    const groups = s.split(":");
    const out: number[] = [];
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (allowV4Tail && i === groups.length - 1 && g.includes(".")) {
        const v4 = parseIpv4(g);
        if (v4 === null) return null;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
        out.push(parseInt(g, 16));
      }
    }
    return out;
  };
  const h = parseGroups(head, dc < 0);
  const t = dc >= 0 ? parseGroups(tail, true) : [];
  if (h === null || t === null) return null;
  if (dc < 0) {
    if (h.length !== 8) return null;
    words.push(...h);
  } else {
    if (h.length + t.length > 7) return null;
    words.push(...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t);
  }
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[2 * i] = words[i]! >> 8;
    out[2 * i + 1] = words[i]! & 0xff;
  }
  return out;
}

/** Parses an address or `address/bits`; host bits must be zero in a prefix. Null when invalid. */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf("/");
  const addr = slash < 0 ? text : text.slice(0, slash);
  const v4 = parseIpv4(addr);
  const bytes = v4 ?? parseIpv6(addr);
  if (bytes === null) return null;
  const family = v4 ? 4 : 6;
  const max = family === 4 ? 32 : 128;
  let bits = max;
  if (slash >= 0) {
    const b = text.slice(slash + 1);
    if (!/^(0|[1-9][0-9]{0,2})$/.test(b) || Number(b) > max) return null;
    bits = Number(b);
    const masked = maskBytes(bytes, bits);
    if (masked.some((x, i) => x !== bytes[i])) return null;
  }
  return { family, bytes, bits };
}

/** Like {@link parseCidr} but clears host bits instead of refusing them (`10.0.0.5/8` → `10.0.0.0/8`). */
export function parseCidrLoose(text: string): Cidr | null {
  const c = parseCidr(text);
  if (c !== null) return c;
  const slash = text.indexOf("/");
  if (slash < 0) return null;
  const a = parseCidr(text.slice(0, slash));
  const b = text.slice(slash + 1);
  if (a === null || !/^[0-9]{1,3}$/.test(b) || Number(b) > a.bits) return null;
  return { family: a.family, bytes: maskBytes(a.bytes, Number(b)), bits: Number(b) };
}

function maskBytes(bytes: Uint8Array, bits: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < out.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - 8 * i));
    out[i] = out[i]! & ((0xff << (8 - keep)) & 0xff);
  }
  return out;
}

/** True when `inner` (address or prefix) lies entirely inside `outer`. */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  if (outer.family !== inner.family || inner.bits < outer.bits) return false;
  for (let i = 0; i < outer.bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, outer.bits - 8 * i));
    if (keep === 0) break;
    const m = (0xff << (8 - keep)) & 0xff;
    if ((outer.bytes[i]! & m) !== (inner.bytes[i]! & m)) return false;
  }
  return true;
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
  const addr = c.family === 4 ? Array.from(c.bytes).join(".") : formatIpv6(c.bytes);
  return c.bits === max ? addr : `${addr}/${c.bits}`;
}

function formatIpv6(b: Uint8Array): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push((b[2 * i]! << 8) | b[2 * i + 1]!);
  // Longest run of two or more zero words becomes "::" (the first such run on a tie).
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  // IPv4-mapped addresses keep their dotted tail, as the kernel and nft print them.
  if (best === 0 && bestLen === 5 && w[5] === 0xffff) {
    return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  }
  const hex = (ws: number[]) => ws.map((x) => x.toString(16)).join(":");
  if (best < 0) return hex(w);
  return `${hex(w.slice(0, best))}::${hex(w.slice(best + bestLen))}`;
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
