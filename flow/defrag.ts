/**
 * IP fragment reassembly for IPv4 (RFC 791) and IPv6 (RFC 8200 §4.5).
 *
 * The flow stage hands every packet with {@link LayerBit.fragment} to
 * {@link Defragmenter.push}; when the last missing fragment arrives, `push` returns the whole
 * datagram as a fresh buffer that starts with a valid IP header, ready for `decodeIpPacket`.
 *
 * Design notes:
 * - Datagrams are keyed by (IPv4: src, dst, protocol, id) and (IPv6: src, dst, id: RFC 8200
 *   does not key on the next header, which may differ between fragments). The key is a string
 *   built from the numeric fields and held in a `Map`: fragments are rare (well under 1% of
 *   packets on ordinary links), so the 0.4 to 1.4 µs of a string-keyed lookup is accepted
 *   here and kept out of the per-packet flow table.
 * - Fragment bytes are copied (the caller reuses the frame buffer); nothing else is copied
 *   until the datagram completes.
 * - Time is the packet clock: a datagram expires `timeout` seconds after its first fragment,
 *   as Linux does (the timer is not restarted by later fragments). Expiry and eviction walk a
 *   FIFO of datagrams in creation order, so both cost O(1) per datagram removed.
 * - Every limit either is a key of the `[defrag]` config section (see defrag_config.ts) or a
 *   named constant below with its reason.
 * - Fragments are never trusted: malformed, truncated or hostile fragments are counted
 *   (see {@link DEFRAG_COUNTERS}) and dropped; nothing here throws on packet bytes.
 * - Cost, measured on the development machine (shared, noisy): about 4 µs per 1480-byte
 *   fragment of ordinary 3-fragment datagrams, and 3 to 9 µs per fragment of a flood of
 *   never-completing fragments (then mostly eviction and garbage collection of the copies).
 *   Fine for the rare fragment; a fragment flood costs a core at about 250,000 fragments/s.
 *
 * @module
 */

import type { Packet } from "../decode/packet.ts";
import { isIpv6ExtensionHeader, MAX_IPV6_EXT_HEADERS } from "../decode/ipv6.ts";
import { sectionDefaults } from "../config/spec.ts";
import {
  type DefragConfig,
  defragSection,
  OVERLAP_POLICIES,
  type OverlapPolicy,
} from "./defrag_config.ts";

/** IPv4 total length is a 16-bit field: a reassembled datagram longer than this is an attack. */
export const IPV4_MAX_DATAGRAM = 65535;
/**
 * IPv6 payload length is a 16-bit field. Jumbograms (RFC 2675) cannot be fragmented and are
 * not reassembled: the largest IPv6 datagram here is 40 + 65535 bytes.
 */
export const IPV6_MAX_PAYLOAD = 65535;
/** Bytes of the fixed IPv4 header (no options). */
const IPV4_MIN_HEADER = 20;
/** Bytes of the fixed IPv6 header. */
const IPV6_HEADER = 40;
/** Bytes of the IPv6 fragment extension header. */
const IPV6_FRAGMENT_HEADER = 8;
/** IPv6 next-header value of the fragment header. */
const NEXT_FRAGMENT = 44;

/**
 * Bookkeeping bytes charged to the memory cap for one datagram in progress, besides its
 * fragment bytes: the state object, its key string, its three arrays, its `Map` entry and
 * FIFO slot. Measured (V8 heap plus external memory after a full GC, 20,000 IPv4 datagrams;
 * defrag_test.ts, "charges at least the heap bytes"): about 760 bytes, rounded up for the
 * longer IPv6 keys.
 */
export const DATAGRAM_OVERHEAD_BYTES = 1024;
/**
 * Bookkeeping bytes charged per held copy of fragment bytes (each piece of data and the
 * header): the `Uint8Array`, its `ArrayBuffer` and backing store, and three array slots.
 * Measured: 207 to 232 bytes per added 8-byte fragment (arrays grow by reallocation).
 */
export const PIECE_OVERHEAD_BYTES = 256;

/** Smallest upper-layer header a first fragment should carry whole (RFC 1858, RFC 7112). */
function minTransportHeader(protocol: number): number {
  switch (protocol) {
    case 6: // TCP: the flags are at byte 13, a shorter first fragment hides them (RFC 1858)
      return 20;
    case 17: // UDP
    case 1: // ICMP
    case 58: // ICMPv6
      return 8;
    default:
      return 0;
  }
}

/** Names of the counters {@link Defragmenter.stats} returns, with what each counts. */
export const DEFRAG_COUNTERS = {
  "defrag.fragments": "fragments pushed",
  "defrag.completed": "datagrams reassembled and returned",
  "defrag.in_progress": "datagrams waiting for fragments now (a gauge)",
  "defrag.memory_bytes": "bytes charged to the memory cap now (a gauge)",
  "defrag.not_fragment": "pushed packets that were not fragments, returned as they were",
  "defrag.atomic": "IPv6 atomic fragments (offset 0, no more fragments, RFC 6946)",
  "defrag.malformed": "fragments whose IP header is truncated, invalid or not fully captured",
  "defrag.bad_checksum": "IPv4 fragments with a wrong header checksum (the host drops them)",
  "defrag.invalid_length": "fragments with more-fragments set and a length not a positive " +
    "multiple of 8",
  "defrag.overlap": "fragments overlapping bytes already held (duplicates included)",
  "defrag.overlap_conflict": "overlapping fragments whose bytes differ from those held",
  "defrag.overlap_dropped": "datagrams discarded by the overlap policy",
  "defrag.inconsistent_length": "datagrams discarded because fragments disagree on the end",
  "defrag.too_many_fragments": "datagrams discarded for exceeding max_fragments",
  "defrag.too_large": "datagrams discarded for exceeding the IP length limit (ping of death)",
  "defrag.tiny_first": "first fragments too short for the whole TCP/UDP/ICMP header",
  "defrag.timeout": "datagrams expired before completion",
  "defrag.evicted": "datagrams evicted by max_datagrams or memory_cap",
} as const;

/** Counter name to value, as returned by {@link Defragmenter.stats}. */
export type DefragStats = { -readonly [K in keyof typeof DEFRAG_COUNTERS]: number };

/** One datagram in reassembly. */
class Datagram {
  /** Held fragment data as disjoint pieces sorted by offset (in the fragmentable part). */
  starts: number[] = [];
  ends: number[] = [];
  pieces: Uint8Array[] = [];
  /** Bytes held in `pieces`. */
  held = 0;
  /** End of the fragmentable part, known once the last fragment (no MF) arrives; else -1. */
  dataEnd = -1;
  /** Highest fragment end seen. */
  maxEnd = 0;
  /** Fragments pushed for this datagram, duplicates included. */
  fragments = 0;
  /**
   * Copy of the unfragmentable part of the offset-0 fragment: the IPv4 header with its
   * options, or the IPv6 header with the extension headers before the fragment header.
   */
  header: Uint8Array | null = null;
  /** IPv6: index in `header` of the next-header byte that named the fragment header. */
  nextHeaderAt = 0;
  /** IPv6: next header of the offset-0 fragment's fragment header. */
  nextHeader = 0;
  /** Bytes charged to the memory cap. */
  bytes = DATAGRAM_OVERHEAD_BYTES;
  /** Removed from the table (completed, expired, evicted or discarded). */
  dead = false;

  constructor(readonly key: string, readonly version: 4 | 6, readonly created: number) {}
}

/** Where the fields of one pushed fragment are, after its header was parsed. */
class FragmentView {
  version: 4 | 6 = 4;
  key = "";
  /** Offset of the IP header in the buffer, and of the unfragmentable part's end. */
  start = 0;
  unfragmentableEnd = 0;
  /** IPv6: offset of the next-header byte naming the fragment header. */
  nextHeaderAt = 0;
  /** Upper-layer protocol (IPv4 protocol, IPv6 fragment header next header). */
  protocol = 0;
  offset = 0;
  more = false;
  dataStart = 0;
  dataLen = 0;
}

/** Results of parsing a pushed packet's IP header. */
const FRAGMENT = 0;
const DROPPED = 1;
const WHOLE = 2;
type ParseResult = typeof FRAGMENT | typeof DROPPED | typeof WHOLE;

function u16(buf: Uint8Array, p: number): number {
  return (buf[p]! << 8) | buf[p + 1]!;
}

function u32(buf: Uint8Array, p: number): number {
  return ((buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!) >>> 0;
}

/** The ones' complement sum of an IPv4 header, folded: 0xffff when its checksum is right. */
function onesComplementSum(buf: Uint8Array, start: number, len: number): number {
  let sum = 0;
  for (let i = 0; i < len; i += 2) sum += u16(buf, start + i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

function sameBytes(a: Uint8Array, aStart: number, b: Uint8Array, bStart: number, n: number) {
  for (let i = 0; i < n; i++) if (a[aStart + i] !== b[bStart + i]) return false;
  return true;
}

/**
 * Reassembles IPv4 and IPv6 fragments into whole datagrams, with hard limits on time, count
 * and memory.
 *
 * @example
 * ```ts
 * import { Defragmenter } from "./defrag.ts";
 * const defrag = new Defragmenter();
 * // For each decoded packet with LayerBit.fragment set:
 * //   const whole = defrag.push(pkt);
 * //   if (whole) decodeIpPacket(whole, 0, whole.length, pkt2);
 * // and on every timer tick: defrag.expire(now);
 * defrag.expire(0);
 * ```
 */
export class Defragmenter {
  readonly #timeout: number;
  readonly #maxDatagrams: number;
  readonly #maxFragments: number;
  readonly #memoryCap: number;
  readonly #policy: OverlapPolicy;
  readonly #table = new Map<string, Datagram>();
  /** Datagrams in creation order; dead entries are skipped (and compacted away). */
  #fifo: Datagram[] = [];
  #head = 0;
  #memory = 0;
  readonly #view = new FragmentView();
  readonly #counts: Omit<DefragStats, "defrag.in_progress" | "defrag.memory_bytes"> = {
    "defrag.fragments": 0,
    "defrag.completed": 0,
    "defrag.not_fragment": 0,
    "defrag.atomic": 0,
    "defrag.malformed": 0,
    "defrag.bad_checksum": 0,
    "defrag.invalid_length": 0,
    "defrag.overlap": 0,
    "defrag.overlap_conflict": 0,
    "defrag.overlap_dropped": 0,
    "defrag.inconsistent_length": 0,
    "defrag.too_many_fragments": 0,
    "defrag.too_large": 0,
    "defrag.tiny_first": 0,
    "defrag.timeout": 0,
    "defrag.evicted": 0,
  };

  /** Creates a reassembler with the `[defrag]` settings (the documented defaults if absent). */
  constructor(cfg: DefragConfig = sectionDefaults(defragSection)) {
    if (!(OVERLAP_POLICIES as readonly string[]).includes(cfg.overlap_policy)) {
      throw new RangeError(
        `Cannot use "defrag.overlap_policy" = "${cfg.overlap_policy}": expected one of ` +
          OVERLAP_POLICIES.map((p) => `"${p}"`).join(", "),
      );
    }
    this.#timeout = cfg.timeout;
    this.#maxDatagrams = cfg.max_datagrams;
    this.#maxFragments = cfg.max_fragments;
    this.#memoryCap = cfg.memory_cap;
    this.#policy = cfg.overlap_policy as OverlapPolicy;
  }

  /**
   * Takes one fragment from a decoded packet: the IP header at `pkt.l3Offset` in `pkt.buf`,
   * the capture ending at `pkt.offset + pkt.caplen`, time `pkt.ts`. Returns the reassembled
   * datagram when this fragment completed one, else null. The fragment's bytes are copied.
   */
  push(pkt: Packet): Uint8Array | null {
    const end = Math.min(pkt.offset + pkt.caplen, pkt.buf.length);
    return this.pushIp(pkt.buf, pkt.l3Offset, end, pkt.ts);
  }

  /**
   * Takes one fragment given as raw bytes: an IPv4 or IPv6 datagram starting at `start` in
   * `buf`, with `end` the end of the captured bytes (trailing link padding is ignored), seen
   * at time `ts` (seconds). Same result as {@link push}.
   *
   * The returned datagram has a valid header: IPv4 with the total length set, MF and the
   * offset cleared (DF and the reserved bit kept) and the header checksum recomputed; IPv6
   * with the payload length set, the fragment header removed and the next-header byte before
   * it set from the first fragment's fragment header. The header (IPv4 options, IPv6
   * extension headers before the fragment header) is the offset-0 fragment's.
   */
  pushIp(buf: Uint8Array, start: number, end: number, ts: number): Uint8Array | null {
    const c = this.#counts;
    c["defrag.fragments"]++;
    this.expire(ts);
    const f = this.#view;
    const kind = this.#parse(buf, start, end, f);
    if (kind === DROPPED) return null;
    if (kind === WHOLE) {
      c["defrag.not_fragment"]++;
      return buf.slice(start, f.dataStart + f.dataLen);
    }
    if (f.offset === 0 && !f.more) {
      if (f.version === 4) {
        c["defrag.not_fragment"]++;
        return buf.slice(start, f.dataStart + f.dataLen);
      }
      // RFC 6946: an atomic fragment is a whole datagram, reassembled on its own.
      c["defrag.atomic"]++;
      const d = new Datagram(f.key, 6, ts);
      d.dead = true; // never in the table, never charged
      this.#setHeader(d, buf, f);
      d.dataEnd = f.dataLen;
      d.starts.push(0);
      d.ends.push(f.dataLen);
      d.pieces.push(buf.subarray(f.dataStart, f.dataStart + f.dataLen));
      return this.#build(d);
    }
    if (f.more && (f.dataLen === 0 || (f.dataLen & 7) !== 0)) {
      c["defrag.invalid_length"]++;
      return null;
    }
    const fragEnd = f.offset + f.dataLen;
    const headerBytes = f.version === 4
      ? f.unfragmentableEnd - f.start
      : f.unfragmentableEnd - f.start - IPV6_HEADER;
    const limit = f.version === 4 ? IPV4_MAX_DATAGRAM : IPV6_MAX_PAYLOAD;

    let d = this.#table.get(f.key);
    if (d !== undefined && ts - d.created >= this.#timeout) {
      // The clock passed this datagram's deadline but it sat behind a younger one in the
      // FIFO (packet timestamps can step backwards): expire it here.
      c["defrag.timeout"]++;
      this.#discard(d);
      d = undefined;
    }
    if (headerBytes + fragEnd > limit) {
      c["defrag.too_large"]++;
      if (d !== undefined) this.#discard(d);
      return null;
    }
    if (d === undefined) {
      while (this.#table.size >= this.#maxDatagrams) this.#evictOldest();
      d = new Datagram(f.key, f.version, ts);
      this.#table.set(f.key, d);
      this.#fifo.push(d);
      this.#memory += d.bytes;
    }
    if (++d.fragments > this.#maxFragments) {
      c["defrag.too_many_fragments"]++;
      this.#discard(d);
      return null;
    }
    // The end of the datagram: one last fragment, and nothing beyond it (as Linux checks).
    if (!f.more) {
      if ((d.dataEnd >= 0 && d.dataEnd !== fragEnd) || d.maxEnd > fragEnd) {
        c["defrag.inconsistent_length"]++;
        this.#discard(d);
        return null;
      }
      d.dataEnd = fragEnd;
    } else if (d.dataEnd >= 0 && fragEnd > d.dataEnd) {
      c["defrag.inconsistent_length"]++;
      this.#discard(d);
      return null;
    }
    if (fragEnd > d.maxEnd) d.maxEnd = fragEnd;

    if (f.dataLen > 0 && !this.#insert(d, buf, f)) return null;
    if (f.offset === 0 && d.header === null) {
      this.#setHeader(d, buf, f);
      if (f.dataLen < minTransportHeader(f.protocol)) c["defrag.tiny_first"]++;
    }
    if (d.header === null || d.dataEnd < 0 || d.held !== d.dataEnd) {
      // Checked only while incomplete, so that a datagram this fragment completes is never
      // evicted for the memory it is about to give back.
      this.#enforceMemoryCap();
      return null;
    }
    this.#discard(d);
    if (d.header.length - (d.version === 4 ? 0 : IPV6_HEADER) + d.dataEnd > limit) {
      // The first fragment's header was longer than the one the limit was checked with.
      c["defrag.too_large"]++;
      return null;
    }
    c["defrag.completed"]++;
    return this.#build(d);
  }

  /** Drops the datagrams whose first fragment is `timeout` seconds or more older than `now`. */
  expire(now: number): void {
    const fifo = this.#fifo;
    while (this.#head < fifo.length) {
      const d = fifo[this.#head]!;
      if (!d.dead) {
        if (now - d.created < this.#timeout) break;
        this.#counts["defrag.timeout"]++;
        this.#discard(d);
      }
      this.#head++;
    }
    this.#compact();
  }

  /** Counters and gauges, named as in {@link DEFRAG_COUNTERS}. */
  stats(): DefragStats {
    return {
      ...this.#counts,
      "defrag.in_progress": this.#table.size,
      "defrag.memory_bytes": this.#memory,
    };
  }

  /** Datagrams waiting for fragments now. */
  get inProgress(): number {
    return this.#table.size;
  }

  /**
   * Reads the IP header of a fragment into `f`. {@link DROPPED} (and counted) when it cannot
   * be used: truncated, invalid, not fully captured, or an IPv4 header with a wrong checksum.
   * {@link WHOLE} for an IPv6 datagram without a fragment header (`f.dataStart` and
   * `f.dataLen` then span its payload).
   */
  #parse(buf: Uint8Array, start: number, end: number, f: FragmentView): ParseResult {
    const c = this.#counts;
    if (start < 0 || end > buf.length || end - start < 1) {
      c["defrag.malformed"]++;
      return DROPPED;
    }
    const version = buf[start]! >> 4;
    if (version === 4) {
      const hl = (buf[start]! & 15) << 2;
      if (end - start < IPV4_MIN_HEADER || hl < IPV4_MIN_HEADER || end - start < hl) {
        c["defrag.malformed"]++;
        return DROPPED;
      }
      const total = u16(buf, start + 2);
      // A fragment not captured whole (snap length) cannot be reassembled; total length 0
      // (segmentation offload) never occurs on a fragment.
      if (total < hl || start + total > end) {
        c["defrag.malformed"]++;
        return DROPPED;
      }
      if (onesComplementSum(buf, start, hl) !== 0xffff) {
        c["defrag.bad_checksum"]++;
        return DROPPED;
      }
      const flags = u16(buf, start + 6);
      const protocol = buf[start + 9]!;
      f.version = 4;
      f.start = start;
      f.unfragmentableEnd = start + hl;
      f.protocol = protocol;
      f.offset = (flags & 0x1fff) << 3;
      f.more = (flags & 0x2000) !== 0;
      f.dataStart = start + hl;
      f.dataLen = total - hl;
      f.key = `4 ${u32(buf, start + 12)} ${u32(buf, start + 16)} ${protocol} ` +
        `${u16(buf, start + 4)}`;
      return FRAGMENT;
    }
    if (version !== 6 || end - start < IPV6_HEADER) {
      c["defrag.malformed"]++;
      return DROPPED;
    }
    const payload = u16(buf, start + 4);
    const ipEnd = start + IPV6_HEADER + payload;
    // Payload length 0 is a jumbogram or offload, neither of which is ever fragmented.
    if (payload === 0 || ipEnd > end) {
      c["defrag.malformed"]++;
      return DROPPED;
    }
    let next = buf[start + 6]!;
    let nextAt = start + 6;
    let p = start + IPV6_HEADER;
    let n = 0;
    while (next !== NEXT_FRAGMENT) {
      if (!isIpv6ExtensionHeader(next)) {
        f.dataStart = start + IPV6_HEADER;
        f.dataLen = payload;
        return WHOLE;
      }
      if (n === MAX_IPV6_EXT_HEADERS || ipEnd - p < 8) {
        c["defrag.malformed"]++;
        return DROPPED;
      }
      const len = next === 51 ? (buf[p + 1]! + 2) << 2 : (buf[p + 1]! + 1) << 3;
      nextAt = p;
      next = buf[p]!;
      p += len;
      n++;
    }
    if (ipEnd - p < IPV6_FRAGMENT_HEADER) {
      c["defrag.malformed"]++;
      return DROPPED;
    }
    const offsetFlags = u16(buf, p + 2);
    f.version = 6;
    f.start = start;
    f.unfragmentableEnd = p;
    f.nextHeaderAt = nextAt;
    f.protocol = buf[p]!;
    f.offset = offsetFlags & 0xfff8;
    f.more = (offsetFlags & 1) !== 0;
    f.dataStart = p + IPV6_FRAGMENT_HEADER;
    f.dataLen = ipEnd - f.dataStart;
    f.key = `6 ${u32(buf, start + 8)} ${u32(buf, start + 12)} ${u32(buf, start + 16)} ` +
      `${u32(buf, start + 20)} ${u32(buf, start + 24)} ${u32(buf, start + 28)} ` +
      `${u32(buf, start + 32)} ${u32(buf, start + 36)} ${u32(buf, p + 4)}`;
    return FRAGMENT;
  }

  /** Copies the unfragmentable part of an offset-0 fragment into `d`. */
  #setHeader(d: Datagram, buf: Uint8Array, f: FragmentView): void {
    d.header = buf.slice(f.start, f.unfragmentableEnd);
    d.nextHeaderAt = f.nextHeaderAt - f.start;
    d.nextHeader = f.protocol;
    this.#charge(d, d.header.length + PIECE_OVERHEAD_BYTES);
  }

  /**
   * Adds a fragment's data to `d` under the overlap policy. False when the datagram was
   * discarded or the fragment ignored as a duplicate.
   */
  #insert(d: Datagram, buf: Uint8Array, f: FragmentView): boolean {
    const c = this.#counts;
    const s = f.offset;
    const e = s + f.dataLen;
    const { starts, ends, pieces } = d;
    // Holes of [s, e) not yet held, as [from, to) pairs; and what the held part looks like.
    const holes: number[] = [];
    let cursor = s;
    let covered = 0;
    let conflict = false;
    let at = starts.length; // where a piece starting at s would go
    for (let i = 0; i < starts.length; i++) {
      const ps = starts[i]!;
      const pe = ends[i]!;
      if (pe <= s) continue;
      if (at === starts.length) at = i;
      if (ps >= e) break;
      const os = ps > s ? ps : s;
      const oe = pe < e ? pe : e;
      covered += oe - os;
      if (!conflict && !sameBytes(buf, f.dataStart + (os - s), pieces[i]!, os - ps, oe - os)) {
        conflict = true;
      }
      if (ps > cursor) holes.push(cursor, ps);
      if (pe > cursor) cursor = pe;
    }
    if (cursor < e) holes.push(cursor, e);
    if (covered > 0) {
      c["defrag.overlap"]++;
      if (conflict) c["defrag.overlap_conflict"]++;
      const policy = this.#policy;
      if (policy === "linux") {
        if (covered === e - s) return false; // a duplicate: the first copy stays
        c["defrag.overlap_dropped"]++;
        this.#discard(d);
        return false;
      }
      if (policy === "drop_conflict" && conflict) {
        c["defrag.overlap_dropped"]++;
        this.#discard(d);
        return false;
      }
    }
    // Insert the holes' bytes as new pieces, keeping the pieces sorted.
    for (let h = 0; h < holes.length; h += 2) {
      const from = holes[h]!;
      const to = holes[h + 1]!;
      while (at < starts.length && starts[at]! < from) at++;
      const piece = buf.slice(f.dataStart + (from - s), f.dataStart + (to - s));
      starts.splice(at, 0, from);
      ends.splice(at, 0, to);
      pieces.splice(at, 0, piece);
      at++;
      d.held += to - from;
      this.#charge(d, piece.length + PIECE_OVERHEAD_BYTES);
    }
    return true;
  }

  /** Builds the whole datagram of a complete `d`. */
  #build(d: Datagram): Uint8Array {
    const header = d.header!;
    const hl = header.length;
    const out = new Uint8Array(hl + d.dataEnd);
    out.set(header, 0);
    for (let i = 0; i < d.pieces.length; i++) out.set(d.pieces[i]!, hl + d.starts[i]!);
    if (d.version === 4) {
      out[2] = out.length >> 8;
      out[3] = out.length & 0xff;
      out[6] = header[6]! & 0xc0; // keep the reserved bit and DF; clear MF and the offset
      out[7] = 0;
      out[10] = 0;
      out[11] = 0;
      const sum = ~onesComplementSum(out, 0, hl) & 0xffff;
      out[10] = sum >> 8;
      out[11] = sum & 0xff;
    } else {
      const payload = out.length - IPV6_HEADER;
      out[4] = payload >> 8;
      out[5] = payload & 0xff;
      out[d.nextHeaderAt] = d.nextHeader;
    }
    return out;
  }

  #charge(d: Datagram, bytes: number): void {
    d.bytes += bytes;
    if (!d.dead) this.#memory += bytes;
  }

  /** Removes `d` from the table; its FIFO slot is skipped later. */
  #discard(d: Datagram): void {
    if (d.dead) return;
    d.dead = true;
    this.#table.delete(d.key);
    this.#memory -= d.bytes;
  }

  #evictOldest(): void {
    const fifo = this.#fifo;
    while (this.#head < fifo.length) {
      const d = fifo[this.#head++]!;
      if (d.dead) continue;
      this.#counts["defrag.evicted"]++;
      this.#discard(d);
      break;
    }
    this.#compact();
  }

  #enforceMemoryCap(): void {
    while (this.#memory > this.#memoryCap && this.#table.size > 0) this.#evictOldest();
  }

  /**
   * Keeps the FIFO short: drops the consumed head, and the dead entries behind a long-lived
   * datagram when they outnumber the live ones.
   */
  #compact(): void {
    const fifo = this.#fifo;
    if (this.#head > 1024 && this.#head * 2 > fifo.length) {
      this.#fifo = fifo.slice(this.#head);
      this.#head = 0;
    } else if (fifo.length - this.#head > 2 * this.#table.size + 1024) {
      this.#fifo = fifo.slice(this.#head).filter((d) => !d.dead);
      this.#head = 0;
    }
  }
}
