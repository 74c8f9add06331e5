/**
 * Benchmark reference only: the smallest flow table that still deserves the name, for the
 * `full-pipeline` section's reference row (DESIGN.md, Speed: "the same reader + decode +
 * typed-array flow table"). It maps a bidirectional 5-tuple to packet and byte counters per
 * direction in typed arrays, by open addressing over a fixed capacity, and does nothing
 * else: no TCP state, no connection outcome, no idle timeouts, no eviction (it stops
 * counting new flows when half full), no events for detectors. Comparing its row with the floor
 * row shows what those features of `flow/table.ts` cost per packet.
 *
 * @module
 */

import { LayerBit, type Packet } from "../decode/packet.ts";

const IP_BITS = LayerBit.ipv4 | LayerBit.ipv6;
const TCP_BIT = LayerBit.tcp;
const UDP_BIT = LayerBit.udp;

/** Bidirectional 5-tuple → counters per direction; see the module doc. */
export class MinimalFlowTable {
  /** Flows counted. */
  flows = 0;
  /** Packets not counted: no IP layer, or a new flow when the table was half full. */
  skipped = 0;
  readonly #mask: number;
  // Key per entry: protocol and family, ports (lower endpoint first), the two addresses'
  // folded words (lower endpoint first); 0 in `#used`: empty.
  readonly #used: Uint8Array;
  readonly #tag: Uint32Array;
  readonly #ports: Uint32Array;
  readonly #lo: Int32Array;
  readonly #hi: Int32Array;
  /** Packets and bytes, `2e` from the lower endpoint, `2e + 1` from the higher. */
  readonly packets: Uint32Array;
  readonly bytes: Float64Array;

  /** A table of `capacity` entries (a power of two; keep it at twice the flows expected). */
  constructor(capacity: number) {
    this.#mask = capacity - 1;
    this.#used = new Uint8Array(capacity);
    this.#tag = new Uint32Array(capacity);
    this.#ports = new Uint32Array(capacity);
    this.#lo = new Int32Array(capacity);
    this.#hi = new Int32Array(capacity);
    this.packets = new Uint32Array(2 * capacity);
    this.bytes = new Float64Array(2 * capacity);
  }

  /** Counts one decoded packet. */
  update(pkt: Packet): void {
    const layers = pkt.layers;
    if ((layers & IP_BITS) === 0) {
      this.skipped++;
      return;
    }
    const ip = pkt.ip, s = ip.src, d = ip.dst;
    // IPv6 addresses folded to one word: a reference table may confuse rare collisions.
    const a = (s[0]! ^ s[1]! ^ s[2]! ^ s[3]!) | 0, b = (d[0]! ^ d[1]! ^ d[2]! ^ d[3]!) | 0;
    let sp = 0, dp = 0;
    if ((layers & TCP_BIT) !== 0) {
      sp = pkt.tcp.srcPort;
      dp = pkt.tcp.dstPort;
    } else if ((layers & UDP_BIT) !== 0) {
      sp = pkt.udp.srcPort;
      dp = pkt.udp.dstPort;
    }
    const fromLo = a < b || (a === b && sp <= dp);
    const lo = fromLo ? a : b, hi = fromLo ? b : a;
    const ports = fromLo ? ((sp << 16) | dp) >>> 0 : ((dp << 16) | sp) >>> 0;
    const tag = ip.protocol | (ip.version << 8);
    let h = Math.imul(
      lo ^ Math.imul(hi, 0x9e3779b1) ^ Math.imul(ports + tag, 0x85ebca6b),
      0xc2b2ae35,
    );
    h ^= h >>> 15;
    const mask = this.#mask, used = this.#used;
    let e = h & mask;
    for (;;) {
      if (used[e] === 0) {
        if (this.flows * 2 > mask) {
          // Half full: linear probing stays short only below that load.
          this.skipped++;
          return;
        }
        used[e] = 1;
        this.#tag[e] = tag;
        this.#ports[e] = ports;
        this.#lo[e] = lo;
        this.#hi[e] = hi;
        this.flows++;
        break;
      }
      if (
        this.#lo[e] === lo && this.#hi[e] === hi && this.#ports[e] === ports &&
        this.#tag[e] === tag
      ) break;
      e = (e + 1) & mask;
    }
    const k = 2 * e + (fromLo ? 0 : 1);
    this.packets[k] = this.packets[k]! + 1;
    this.bytes[k] = this.bytes[k]! + pkt.len;
  }
}
