/**
 * Bidirectional flow table over typed arrays (structure of arrays, open addressing).
 *
 * A flow is identified by (family, protocol, two addresses, two ports) with A→B and B→A
 * being the same flow. Each flow lives in a preallocated record slot `0 .. maxFlows-1`;
 * a hash index (linear probing with the newest key at its home entry, backward-shift
 * deletion; flow/_hash_index.ts) maps the key to the slot. An index
 * entry holds the key's hash beside the slot, and each slot keeps its key's protocol, ports
 * and (first) address words together in one 16-byte probe record, so that finding a flow
 * reads two cache lines (three for IPv6), not one per field. The hash is symmetric in the
 * two endpoints, so A→B and B→A are found without ordering them first. The index starts
 * small and doubles as flows are added (up to two entries per `max_flows`), so that a table
 * holding far fewer flows than its capacity probes a small, cache-resident index. Nothing
 * is allocated per packet: listeners receive the table and a slot number and read the
 * typed arrays.
 *
 * Time is the packet clock (`pkt.ts`) plus {@link FlowTable.tick}. Records sit on one
 * least-recently-seen list per timeout class, so expiry pops list heads only, and the
 * oldest flow overall (the eviction victim when the table is full) is the oldest of the
 * list heads. Connection attempts waiting for a reply sit on a FIFO list ordered by
 * attempt time, popped when `unanswered_timeout` passes.
 *
 * @module
 */

import { LayerBit, type Packet, TcpFlag } from "../decode/packet.ts";
import type { FlowConfig } from "./config.ts";
import {
  doubledHashIndex,
  hashIndexEntries,
  insertIntoHashIndex,
  randomHashSeed,
  removeFromHashIndex,
} from "./_hash_index.ts";

/** Result of a connection attempt (TCP handshake, UDP datagram, ICMP echo request). */
export const Outcome = {
  /** No attempt tracked on this flow (mid-stream start, non-echo ICMP, ...). */
  none: 0,
  /** Attempt sent, no reply yet. */
  pending: 1,
  /** The responder replied (TCP SYN-ACK or any reply to a stealth probe, UDP reply, echo reply). */
  answered: 2,
  /** The responder refused: TCP RST, or ICMP port unreachable quoting the attempt. */
  refused: 3,
  /** No reply within `unanswered_timeout`. */
  unanswered: 4,
  /** An ICMP error other than port unreachable (host/net unreachable, prohibited, ...). */
  unreachable: 5,
} as const;
/** One of {@link Outcome}. */
export type OutcomeCode = typeof Outcome[keyof typeof Outcome];

/** Names of {@link Outcome} codes, indexed by code. */
export const OUTCOME_NAMES = [
  "none",
  "pending",
  "answered",
  "refused",
  "unanswered",
  "unreachable",
] as const;

/** True when an attempt outcome is a failure (the attempt did not reach a listening service). */
export function isFailedOutcome(o: number): boolean {
  return o === OC_REFUSED || o === OC_UNANSWERED || o === OC_UNREACHABLE;
}

/** Why a flow left the table. */
export const EndReason = {
  /** Idle longer than its timeout. */
  timeout: 0,
  /** Pushed out because the table was full. */
  evicted: 1,
  /** TCP flow finished (FIN both ways, or RST) and its closed timeout passed, or a new SYN reused it. */
  closed: 2,
  /** {@link FlowTable.flush} at shutdown or end of file. */
  shutdown: 3,
} as const;
/** One of {@link EndReason}. */
export type EndReasonCode = typeof EndReason[keyof typeof EndReason];
/** Names of {@link EndReason} codes, indexed by code. */
export const END_REASON_NAMES = ["timeout", "evicted", "closed", "shutdown"] as const;

/** TCP state of a flow (a simplified conntrack: enough for handshake outcomes and timeouts). */
export const TcpState = {
  none: 0,
  /** Initiator sent SYN (or a stealth probe); nothing back yet. */
  synSent: 1,
  /** Responder answered SYN-ACK. */
  synReceived: 2,
  established: 3,
  /** One side sent FIN. */
  closing: 4,
  /** FIN both ways, or RST. */
  closed: 5,
} as const;

/** Flow record flag bits ({@link FlowTable.flags}). */
export const FlowFlag = {
  /** The flow did not start with a connection opening (first packet mid-stream). */
  midstream: 1,
  /** The initiator sent FIN. */
  finInitiator: 2,
  /** The responder sent FIN. */
  finResponder: 4,
  /** A listener marked the flow as not to be analysed (e.g. allowlisted). */
  ignored: 8,
  /** The responder sent at least one packet. */
  replied: 16,
} as const;

// Module-private copies of the constants the per-packet code reads: V8 reads an imported or
// exported binding from its cell, with a check for the temporal dead zone, at every use, but
// folds a module's own constants into its code (as decode/ does).
const ER_CLOSED = EndReason.closed;
const ER_EVICTED = EndReason.evicted;
const ER_SHUTDOWN = EndReason.shutdown;
const ER_TIMEOUT = EndReason.timeout;
const FF_FININITIATOR = FlowFlag.finInitiator;
const FF_FINRESPONDER = FlowFlag.finResponder;
const FF_MIDSTREAM = FlowFlag.midstream;
const FF_REPLIED = FlowFlag.replied;
const LB_FRAGMENT = LayerBit.fragment;
const LB_ICMPQUOTE = LayerBit.icmpQuote;
const LB_ICMPV4 = LayerBit.icmpv4;
const LB_ICMPV6 = LayerBit.icmpv6;
const LB_IPV4 = LayerBit.ipv4;
const LB_IPV6 = LayerBit.ipv6;
const LB_TCP = LayerBit.tcp;
const LB_UDP = LayerBit.udp;
const OC_ANSWERED = Outcome.answered;
const OC_NONE = Outcome.none;
const OC_PENDING = Outcome.pending;
const OC_REFUSED = Outcome.refused;
const OC_UNANSWERED = Outcome.unanswered;
const OC_UNREACHABLE = Outcome.unreachable;
const TF_ACK = TcpFlag.ack;
const TF_FIN = TcpFlag.fin;
const TF_RST = TcpFlag.rst;
const TF_SYN = TcpFlag.syn;
const TS_CLOSED = TcpState.closed;
const TS_CLOSING = TcpState.closing;
const TS_ESTABLISHED = TcpState.established;
const TS_SYNRECEIVED = TcpState.synReceived;
const TS_SYNSENT = TcpState.synSent;

/** Timeout classes: one LRU list each. */
const CLASS_TCP_NEW = 0,
  CLASS_TCP_EST = 1,
  CLASS_TCP_CLOSED = 2,
  CLASS_UDP_NEW = 3,
  CLASS_UDP_EST = 4,
  CLASS_ICMP = 5,
  CLASS_OTHER = 6,
  CLASS_COUNT = 7;

/** Entries of a new table's hash index (it doubles as flows are added). */
const INITIAL_INDEX_ENTRIES = 4096;

const PROTO_ICMP = 1, PROTO_TCP = 6, PROTO_UDP = 17, PROTO_ICMPV6 = 58;

/**
 * What the flow table tells its listeners. Every hook is optional; all receive the table
 * and the flow's slot, valid during the call only (a slot is reused after the flow ends).
 * Room for later issues: `onPacket` is where TCP reassembly and stream parsers attach.
 */
export interface FlowListener {
  /**
   * When true, {@link onPacket} is called only for the TCP packets that start a flow, lack
   * ACK, or carry SYN with FIN or with RST: the table skips the call for the packets every
   * stack sends on a known connection (ACK, with or without PSH, FIN or RST, and SYN-ACK),
   * most of the traffic, which a detector of odd flag combinations has nothing to do with.
   */
  readonly unusualTcpOnly?: boolean;
  /** A flow was created by `pkt` (its first packet). */
  onNewFlow?(table: FlowTable, flow: number, pkt: Packet): void;
  /** Every packet of a flow after the table updated it (`isNew` on its first packet). */
  onPacket?(
    table: FlowTable,
    flow: number,
    pkt: Packet,
    fromInitiator: boolean,
    isNew: boolean,
  ): void;
  /** A connection attempt got its outcome (answered, refused, unanswered, unreachable). */
  onAttempt?(table: FlowTable, flow: number, outcome: OutcomeCode, now: number): void;
  /** The flow is leaving the table. */
  onFlowEnd?(table: FlowTable, flow: number, reason: EndReasonCode, now: number): void;
  /**
   * Reserved for TCP stream reassembly (a later issue): in-order payload bytes of one
   * direction, `buf[offset .. offset+length)`, valid during the call. Not emitted yet; today
   * a stream consumer can attach to `onPacket` and read `pkt.payloadOffset/payloadLen`.
   */
  onStreamData?(
    table: FlowTable,
    flow: number,
    fromInitiator: boolean,
    buf: Uint8Array,
    offset: number,
    length: number,
  ): void;
}

/** Counters of the flow table. */
export interface FlowTableStats {
  /** Flows in the table now. */
  flows: number;
  /** Flows created since start. */
  created: number;
  /** Flows evicted because the table was full. */
  evictions: number;
  /** Flows ended by idle timeout (including closed ones). */
  timeouts: number;
  /** IP packets that were not tracked (non-first fragments, no IP layer). */
  untracked: number;
  /** Capacity (`max_flows`). */
  capacity: number;
}

/** TCP flags no stack sends on a known connection: no ACK, or SYN with FIN or with RST. */
function isUnusualTcp(flags: number): boolean {
  const S = TF_SYN;
  return (flags & TF_ACK) === 0 || (flags & (S | TF_FIN)) === (S | TF_FIN) ||
    (flags & (S | TF_RST)) === (S | TF_RST);
}

/** An IPv6 address's four words mixed into one, from `seed`. */
function words6(w: Uint32Array, seed: number): number {
  let h = seed;
  for (let i = 0; i < 4; i++) {
    h = Math.imul(h ^ w[i]!, 0x9e3779b1);
    h ^= h >>> 15;
  }
  return h;
}

/** Bytes preallocated per flow record (all typed arrays, including the hash index at load ≤ 0.5). */
export const BYTES_PER_FLOW = 4 + // hash
  1 + 1 + // family, proto
  16 + 16 + // addresses
  2 + 2 + // ports
  8 + 8 + 8 + // first, last, attempt time
  4 + 4 + // packets per direction
  8 + 8 + // bytes per direction
  1 + 1 + 1 + 1 + 1 + // state, outcome, flags, first tcp flags, timeout class
  4 + 4 + 4 + 4 + // lru prev/next, pending prev/next
  16 + // probe key: protocol and family, ports, first address words
  16; // hash index: 2 entries (hash, slot) of 2 Int32 per flow

/** The flow table. Create one per capture; feed every decoded packet to {@link update}. */
export class FlowTable {
  /** Capacity in flows. */
  readonly capacity: number;
  /** Per-slot key hash. */
  readonly hash: Uint32Array;
  /** 4 or 6 (0: free slot). */
  readonly family: Uint8Array;
  /** IP protocol number. */
  readonly proto: Uint8Array;
  /** Initiator address words, 4 per flow (IPv4 in word 0, others 0). */
  readonly addrI: Uint32Array;
  /** Responder address words, 4 per flow. */
  readonly addrR: Uint32Array;
  /** Initiator and responder ports (ICMP echo: the echo id on both; other ICMP: type, code). */
  readonly portI: Uint16Array;
  readonly portR: Uint16Array;
  /** First and last packet time (seconds). */
  readonly firstSeen: Float64Array;
  readonly lastSeen: Float64Array;
  /** Time the current connection attempt was sent. */
  readonly attemptTs: Float64Array;
  /** Packets and bytes (frame length on the wire) from the initiator (I) and the responder (R). */
  readonly pktsI: Uint32Array;
  readonly pktsR: Uint32Array;
  readonly bytesI: Float64Array;
  readonly bytesR: Float64Array;
  /** {@link TcpState} (TCP), or for UDP/ICMP 1 (one way) / 3 (both ways). */
  readonly state: Uint8Array;
  /** {@link Outcome} of the flow's connection attempt. */
  readonly outcome: Uint8Array;
  /** {@link FlowFlag} bits. */
  readonly flags: Uint8Array;
  /** TCP flags of the flow's first packet. */
  readonly firstTcpFlags: Uint8Array;
  private readonly tclass: Uint8Array;
  private readonly lruPrev: Int32Array;
  private readonly lruNext: Int32Array;
  private readonly pendPrev: Int32Array;
  private readonly pendNext: Int32Array;
  /**
   * Hash index: entry `i` is `[hash, slot + 1]` at `2i` (slot 0: empty). Grows by doubling,
   * up to {@link maxIndexEntries}, so that its load stays at most one half.
   */
  private index: Int32Array;
  /**
   * Probe key per slot at `4f`: `family | proto << 8`, `portI << 16 | portR`, `addrI[4f]`,
   * `addrR[4f]` (the other IPv6 words are compared in addrI/addrR).
   */
  private readonly probe: Uint32Array;
  private mask: number;
  private readonly maxIndexEntries: number;
  private readonly heads = new Int32Array(CLASS_COUNT).fill(-1);
  private readonly tails = new Int32Array(CLASS_COUNT).fill(-1);
  private readonly timeouts = new Float64Array(CLASS_COUNT);
  private pendHead = -1;
  private pendTail = -1;
  private freeHead = 0;
  private count = 0;
  private readonly unansweredTimeout: number;
  // Listeners by hook (each in the order added), so that a packet calls only those it concerns.
  private readonly newFlowListeners: FlowListener[] = [];
  private readonly packetListeners: FlowListener[] = [];
  private readonly unusualTcpListeners: FlowListener[] = [];
  private readonly attemptListeners: FlowListener[] = [];
  private readonly endListeners: FlowListener[] = [];
  private created = 0;
  private evictions = 0;
  private timeoutCount = 0;
  private untracked = 0;
  /** Latest time seen (packet clock or tick). */
  now = 0;
  // Scratch key of the packet being processed.
  private readonly kSrc = new Uint32Array(4);
  private readonly kDst = new Uint32Array(4);

  /** Seed of {@link keyHash}, random per table (see `randomHashSeed`). */
  private readonly seed: number;

  /** `hashSeed`: a fixed seed for tests; random otherwise. */
  constructor(config: FlowConfig, hashSeed: number = randomHashSeed()) {
    this.seed = hashSeed | 0;
    const n = config.max_flows;
    this.capacity = n;
    this.maxIndexEntries = hashIndexEntries(n);
    const size = Math.min(this.maxIndexEntries, INITIAL_INDEX_ENTRIES);
    this.mask = size - 1;
    this.index = new Int32Array(size * 2);
    this.probe = new Uint32Array(n * 4);
    this.hash = new Uint32Array(n);
    this.family = new Uint8Array(n);
    this.proto = new Uint8Array(n);
    this.addrI = new Uint32Array(n * 4);
    this.addrR = new Uint32Array(n * 4);
    this.portI = new Uint16Array(n);
    this.portR = new Uint16Array(n);
    this.firstSeen = new Float64Array(n);
    this.lastSeen = new Float64Array(n);
    this.attemptTs = new Float64Array(n);
    this.pktsI = new Uint32Array(n);
    this.pktsR = new Uint32Array(n);
    this.bytesI = new Float64Array(n);
    this.bytesR = new Float64Array(n);
    this.state = new Uint8Array(n);
    this.outcome = new Uint8Array(n);
    this.flags = new Uint8Array(n);
    this.firstTcpFlags = new Uint8Array(n);
    this.tclass = new Uint8Array(n);
    this.lruPrev = new Int32Array(n);
    this.lruNext = new Int32Array(n);
    this.pendPrev = new Int32Array(n);
    this.pendNext = new Int32Array(n);
    // Free list threaded through lruNext.
    for (let i = 0; i < n; i++) this.lruNext[i] = i + 1 < n ? i + 1 : -1;
    this.unansweredTimeout = config.unanswered_timeout;
    this.timeouts[CLASS_TCP_NEW] = config.tcp_new_timeout;
    this.timeouts[CLASS_TCP_EST] = config.tcp_established_timeout;
    this.timeouts[CLASS_TCP_CLOSED] = config.tcp_closed_timeout;
    this.timeouts[CLASS_UDP_NEW] = config.udp_new_timeout;
    this.timeouts[CLASS_UDP_EST] = config.udp_established_timeout;
    this.timeouts[CLASS_ICMP] = config.icmp_timeout;
    this.timeouts[CLASS_OTHER] = config.other_timeout;
  }

  /**
   * Adds a listener; listeners are called in the order added (for `onPacket`: those that take
   * every packet, then those with {@link FlowListener.unusualTcpOnly}).
   */
  addListener(l: FlowListener): void {
    if (l.onNewFlow) this.newFlowListeners.push(l);
    if (l.onPacket) (l.unusualTcpOnly ? this.unusualTcpListeners : this.packetListeners).push(l);
    if (l.onAttempt) this.attemptListeners.push(l);
    if (l.onFlowEnd) this.endListeners.push(l);
  }

  /** Counters. */
  stats(): FlowTableStats {
    return {
      flows: this.count,
      created: this.created,
      evictions: this.evictions,
      timeouts: this.timeoutCount,
      untracked: this.untracked,
      capacity: this.capacity,
    };
  }

  /** Flows in the table now. */
  get size(): number {
    return this.count;
  }

  /**
   * Accounts one decoded packet: finds or creates its flow, updates counters and state, and
   * calls the listeners. Returns the flow slot, or -1 when the packet is not tracked (no IP,
   * a non-first fragment, an ICMP error, which updates the quoted flow instead).
   */
  update(pkt: Packet): number {
    const layers = pkt.layers;
    const now = pkt.ts;
    if (now > this.now) this.now = now;
    this.expirePending();
    if ((layers & (LB_IPV4 | LB_IPV6)) === 0 || (layers & LB_FRAGMENT) !== 0) {
      this.untracked++;
      return -1;
    }
    const ip = pkt.ip;
    const fam = (layers & LB_IPV4) !== 0 ? 4 : 6;
    const proto = ip.protocol;
    let sport = 0, dport = 0;
    let tcpFlags = 0;
    const src = ip.src, dst = ip.dst;
    if ((layers & LB_TCP) !== 0) {
      sport = pkt.tcp.srcPort;
      dport = pkt.tcp.dstPort;
      tcpFlags = pkt.tcp.flags;
    } else if ((layers & LB_UDP) !== 0) {
      sport = pkt.udp.srcPort;
      dport = pkt.udp.dstPort;
    } else if ((layers & (LB_ICMPV4 | LB_ICMPV6)) !== 0) {
      const t = pkt.icmp.type;
      const v6 = (layers & LB_ICMPV6) !== 0;
      if (v6 ? t < 128 : (t === 3 || t === 4 || t === 5 || t === 11 || t === 12)) {
        this.icmpError(pkt, v6);
        return -1;
      }
      if (v6 ? (t === 128 || t === 129) : (t === 8 || t === 0)) {
        // The echo id on both sides, so that request and reply share a key.
        sport = pkt.icmp.id;
        dport = sport;
      } else {
        sport = t;
        dport = pkt.icmp.code;
      }
    } else if (
      proto === PROTO_TCP || proto === PROTO_UDP || proto === PROTO_ICMP || proto === PROTO_ICMPV6
    ) {
      // The transport header did not decode (truncated or invalid): no ports, no flags to
      // judge by, so the packet is not tracked rather than filed under port 0.
      this.untracked++;
      return -1;
    }
    const h = this.keyHash(fam, proto, src, sport, dst, dport);
    let f = this.find(h, fam, proto, src, sport, dst, dport);
    let fromInitiator = true;
    let isNew = false;
    if (f >= 0) {
      fromInitiator = this.lastDirection;
      // A fresh SYN on a finished TCP flow is a new connection reusing the ports.
      if (
        proto === PROTO_TCP && this.state[f] === TS_CLOSED &&
        (tcpFlags & (TF_SYN | TF_ACK | TF_RST)) === TF_SYN
      ) {
        this.remove(f, ER_CLOSED, now);
        f = -1;
      }
    }
    if (f < 0) {
      f = this.create(h, fam, proto, src, sport, dst, dport, now);
      isNew = true;
      this.lastDirection = true;
      this.initFlow(f, pkt, fam, proto, tcpFlags, now);
      fromInitiator = this.lastDirection;
    }
    // Counters.
    if (fromInitiator) {
      this.pktsI[f] = this.pktsI[f]! + 1;
      this.bytesI[f] = this.bytesI[f]! + pkt.len;
    } else {
      this.pktsR[f] = this.pktsR[f]! + 1;
      this.bytesR[f] = this.bytesR[f]! + pkt.len;
      this.flags[f] = this.flags[f]! | FF_REPLIED;
    }
    this.lastSeen[f] = now;
    if (!isNew) {
      if (proto === PROTO_TCP) this.tcpUpdate(f, tcpFlags, fromInitiator);
      else if (!fromInitiator) this.replyUpdate(f);
    }
    this.touch(f);
    if (isNew) {
      const ls = this.newFlowListeners;
      for (let i = 0; i < ls.length; i++) ls[i]!.onNewFlow!(this, f, pkt);
    }
    const ls = this.packetListeners;
    for (let i = 0; i < ls.length; i++) ls[i]!.onPacket!(this, f, pkt, fromInitiator, isNew);
    const us = this.unusualTcpListeners;
    if (us.length > 0 && proto === PROTO_TCP && (isNew || isUnusualTcp(tcpFlags))) {
      for (let i = 0; i < us.length; i++) us[i]!.onPacket!(this, f, pkt, fromInitiator, isNew);
    }
    return f;
  }

  /**
   * Advances the clock: resolves attempts that waited longer than `unanswered_timeout` and
   * ends flows idle past their timeout. Call it from a timer in live mode; packets call it
   * implicitly for attempts.
   */
  tick(now: number): void {
    if (now > this.now) this.now = now;
    now = this.now;
    this.expirePending();
    for (let c = 0; c < CLASS_COUNT; c++) {
      const limit = now - this.timeouts[c]!;
      let f = this.heads[c]!;
      while (f >= 0 && this.lastSeen[f]! <= limit) {
        const next = this.lruNext[f]!;
        this.timeoutCount++;
        this.remove(f, c === CLASS_TCP_CLOSED ? ER_CLOSED : ER_TIMEOUT, now);
        f = next;
      }
    }
  }

  /**
   * Ends every flow with reason `shutdown` (end of a capture file, program exit). Pending
   * attempts are not resolved: the capture ended before their answer could be seen.
   */
  flush(): void {
    const ls = this.endListeners, now = this.now, heads = this.heads, next = this.lruNext;
    // Listeners first, each flow with the table intact, in the order `remove` would take
    // them; then every structure is emptied at once, not flow by flow (a flow's removal
    // unlinks it and shifts the hash index: about 60 ns each, 4 ms for a file's 66 k flows).
    for (let c = 0; c < CLASS_COUNT && ls.length > 0; c++) {
      for (let f = heads[c]!; f >= 0; f = next[f]!) {
        for (let i = 0; i < ls.length; i++) ls[i]!.onFlowEnd!(this, f, ER_SHUTDOWN, now);
      }
    }
    for (let c = 0; c < CLASS_COUNT; c++) {
      let f = heads[c]!;
      while (f >= 0) {
        const n = next[f]!;
        this.family[f] = 0;
        this.outcome[f] = OC_NONE;
        next[f] = this.freeHead;
        this.freeHead = f;
        f = n;
      }
    }
    this.count = 0;
    heads.fill(-1);
    this.tails.fill(-1);
    this.pendHead = -1;
    this.pendTail = -1;
    this.index.fill(0);
  }

  /** True when the flow's initiator address equals `words` (family must match separately). */
  initiatorIs(f: number, words: Uint32Array): boolean {
    const b = f * 4, a = this.addrI;
    return a[b] === words[0] && a[b + 1] === words[1] && a[b + 2] === words[2] &&
      a[b + 3] === words[3];
  }

  // ---- internals ----

  private lastDirection = true;

  /**
   * Hash of a flow key, the same for both directions: each endpoint (address and port) is
   * hashed alone and the two are added, so no ordering of the endpoints is needed.
   */
  private keyHash(
    fam: number,
    proto: number,
    a: Uint32Array,
    pa: number,
    b: Uint32Array,
    pb: number,
  ): number {
    const seed = this.seed;
    let xa: number, xb: number;
    if (fam === 6) {
      // The four words through a seeded chain of multiplies and shifts, not a sum of products:
      // addresses that cancel out in a fixed linear mix are easy to choose.
      xa = words6(a, seed);
      xb = words6(b, seed);
    } else {
      xa = a[0]! ^ seed;
      xb = b[0]! ^ seed;
    }
    // Each endpoint: its address word(s) and port through one multiply; the sum is symmetric.
    const ha = Math.imul(xa ^ Math.imul(pa + 0x2545f491 + seed, 0x85ebca6b), 0x9e3779b1);
    const hb = Math.imul(xb ^ Math.imul(pb + 0x2545f491 + seed, 0x85ebca6b), 0x9e3779b1);
    // Finalizer of MurmurHash3 (fmix32) over the sum and the family/protocol.
    let h = (ha + hb) ^ Math.imul(fam | (proto << 8), 0xcc9e2d51);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h | 0;
  }

  private find(
    h: number,
    fam: number,
    proto: number,
    src: Uint32Array,
    sport: number,
    dst: Uint32Array,
    dport: number,
  ): number {
    const index = this.index, mask = this.mask, probe = this.probe;
    const tag = fam | (proto << 8), s0 = src[0]!, d0 = dst[0]!;
    const fwd = ((sport << 16) | dport) >>> 0, rev = ((dport << 16) | sport) >>> 0;
    let i = h & mask;
    for (;;) {
      const v = index[2 * i + 1]!;
      if (v === 0) return -1;
      if (index[2 * i] === h) {
        const f = v - 1, p = f * 4;
        if (probe[p] === tag) {
          const ports = probe[p + 1]!, aI = probe[p + 2]!, aR = probe[p + 3]!;
          if (
            ports === fwd && aI === s0 && aR === d0 &&
            (fam === 4 || this.restEquals(p, src, dst))
          ) {
            this.lastDirection = true;
            return f;
          }
          if (
            ports === rev && aI === d0 && aR === s0 &&
            (fam === 4 || this.restEquals(p, dst, src))
          ) {
            this.lastDirection = false;
            return f;
          }
        }
      }
      i = (i + 1) & mask;
    }
  }

  /** IPv6: address words 1..3 of the flow at `b` are those of `initiator` and `responder`. */
  private restEquals(b: number, initiator: Uint32Array, responder: Uint32Array): boolean {
    const ai = this.addrI, ar = this.addrR;
    return ai[b + 1] === initiator[1] && ai[b + 2] === initiator[2] &&
      ai[b + 3] === initiator[3] && ar[b + 1] === responder[1] && ar[b + 2] === responder[2] &&
      ar[b + 3] === responder[3];
  }

  /** Writes the probe key of slot `f` from its key fields. */
  private setProbe(f: number): void {
    const p = f * 4, probe = this.probe;
    probe[p] = this.family[f]! | (this.proto[f]! << 8);
    probe[p + 1] = (this.portI[f]! << 16) | this.portR[f]!;
    probe[p + 2] = this.addrI[p]!;
    probe[p + 3] = this.addrR[p]!;
  }

  private create(
    h: number,
    fam: number,
    proto: number,
    src: Uint32Array,
    sport: number,
    dst: Uint32Array,
    dport: number,
    now: number,
  ): number {
    if (this.freeHead < 0) this.evictOldest(now);
    const f = this.freeHead;
    this.freeHead = this.lruNext[f]!;
    this.count++;
    this.created++;
    this.hash[f] = h;
    this.family[f] = fam;
    this.proto[f] = proto;
    const b = f * 4;
    const ai = this.addrI, ar = this.addrR;
    ai[b] = src[0]!;
    ai[b + 1] = src[1]!;
    ai[b + 2] = src[2]!;
    ai[b + 3] = src[3]!;
    ar[b] = dst[0]!;
    ar[b + 1] = dst[1]!;
    ar[b + 2] = dst[2]!;
    ar[b + 3] = dst[3]!;
    this.portI[f] = sport;
    this.portR[f] = dport;
    this.firstSeen[f] = now;
    this.lastSeen[f] = now;
    this.attemptTs[f] = 0;
    this.pktsI[f] = 0;
    this.pktsR[f] = 0;
    this.bytesI[f] = 0;
    this.bytesR[f] = 0;
    this.state[f] = 0;
    this.outcome[f] = OC_NONE;
    this.flags[f] = 0;
    this.firstTcpFlags[f] = 0;
    this.pendPrev[f] = -1;
    this.pendNext[f] = -1;
    this.setProbe(f);
    if (this.count * 2 > this.mask + 1) this.growIndex();
    insertIntoHashIndex(this.index, this.mask, h, f);
    return f;
  }

  /**
   * Doubles the hash index (while below its maximum) and moves every entry to its place in the
   * new one. The old index becomes garbage: at most once per doubling of the flow count.
   */
  private growIndex(): void {
    const size = this.mask + 1;
    if (size >= this.maxIndexEntries) return;
    this.index = doubledHashIndex(this.index, this.mask);
    this.mask = size * 2 - 1;
  }

  /** Sets the initial state of a new flow from its first packet and links it in its list. */
  private initFlow(
    f: number,
    pkt: Packet,
    fam: number,
    proto: number,
    tcpFlags: number,
    now: number,
  ): void {
    let cls = CLASS_OTHER;
    if (proto === PROTO_TCP) {
      this.firstTcpFlags[f] = tcpFlags;
      const sa = tcpFlags & (TF_SYN | TF_ACK | TF_RST | TF_FIN);
      if (sa === (TF_SYN | TF_ACK)) {
        // Mid-handshake start: the SYN-ACK's receiver initiated. Swap the endpoints.
        this.swapEndpoints(f);
        this.lastDirection = false;
        this.state[f] = TS_SYNRECEIVED;
        this.flags[f] = this.flags[f]! | FF_MIDSTREAM;
        cls = CLASS_TCP_NEW;
      } else if ((tcpFlags & (TF_ACK | TF_RST)) === 0) {
        // SYN, or a probe no stack sends to open a connection (NULL, FIN, XMAS, SYN+FIN):
        // a connection attempt whose answer we wait for.
        this.state[f] = TS_SYNSENT;
        this.startAttempt(f, now);
        cls = CLASS_TCP_NEW;
      } else if ((tcpFlags & TF_RST) !== 0) {
        this.state[f] = TS_CLOSED;
        this.flags[f] = this.flags[f]! | FF_MIDSTREAM;
        cls = CLASS_TCP_CLOSED;
      } else {
        this.state[f] = TS_ESTABLISHED;
        this.flags[f] = this.flags[f]! | FF_MIDSTREAM;
        if ((tcpFlags & TF_FIN) !== 0) {
          this.flags[f] = this.flags[f]! | FF_FININITIATOR;
          this.state[f] = TS_CLOSING;
        }
        cls = CLASS_TCP_EST;
      }
    } else if (proto === PROTO_UDP) {
      this.state[f] = 1;
      this.startAttempt(f, now);
      cls = CLASS_UDP_NEW;
    } else if (proto === PROTO_ICMP || proto === PROTO_ICMPV6) {
      this.state[f] = 1;
      const t = pkt.icmp.type;
      if (
        (pkt.layers & (LB_ICMPV4 | LB_ICMPV6)) !== 0 &&
        (fam === 4 ? t === 8 : t === 128)
      ) {
        this.startAttempt(f, now);
      } else if (fam === 4 ? t === 0 : t === 129) {
        // An echo reply first: the request was not seen.
        this.swapEndpoints(f);
        this.lastDirection = false;
        this.flags[f] = this.flags[f]! | FF_MIDSTREAM;
      }
      cls = CLASS_ICMP;
    }
    // The flow joins the list of its class here, once its class is known.
    this.lruAppend(f, cls);
  }

  private swapEndpoints(f: number): void {
    const b = f * 4, ai = this.addrI, ar = this.addrR;
    for (let i = 0; i < 4; i++) {
      const t = ai[b + i]!;
      ai[b + i] = ar[b + i]!;
      ar[b + i] = t;
    }
    const p = this.portI[f]!;
    this.portI[f] = this.portR[f]!;
    this.portR[f] = p;
    this.setProbe(f);
  }

  private tcpUpdate(f: number, fl: number, fromI: boolean): void {
    const st = this.state[f]!;
    // Most packets: an established connection's data and ACKs change nothing here (its
    // attempt, if it had one, was answered on the way to established).
    if (st === TS_ESTABLISHED && (fl & (TF_SYN | TF_FIN | TF_RST)) === 0) {
      return;
    }
    if ((fl & TF_RST) !== 0) {
      if (!fromI && this.outcome[f] === OC_PENDING) this.resolve(f, OC_REFUSED);
      this.state[f] = TS_CLOSED;
      this.setClass(f, CLASS_TCP_CLOSED);
      return;
    }
    if (!fromI) {
      if (this.outcome[f] === OC_PENDING) this.resolve(f, OC_ANSWERED);
      if ((fl & (TF_SYN | TF_ACK)) === (TF_SYN | TF_ACK)) {
        if (st === TS_SYNSENT) this.state[f] = TS_SYNRECEIVED;
      }
    } else if (
      st === TS_SYNRECEIVED && (fl & TF_ACK) !== 0 && (fl & TF_SYN) === 0
    ) {
      this.state[f] = TS_ESTABLISHED;
      this.setClass(f, CLASS_TCP_EST);
    }
    if (!fromI && st === TS_SYNRECEIVED && (fl & TF_SYN) === 0) {
      // Responder data after the handshake: established even if the final ACK was missed.
      this.state[f] = TS_ESTABLISHED;
      this.setClass(f, CLASS_TCP_EST);
    }
    if ((fl & TF_FIN) !== 0) {
      this.flags[f] = this.flags[f]! | (fromI ? FF_FININITIATOR : FF_FINRESPONDER);
      const both = FF_FININITIATOR | FF_FINRESPONDER;
      if ((this.flags[f]! & both) === both) {
        this.state[f] = TS_CLOSED;
        this.setClass(f, CLASS_TCP_CLOSED);
      } else if (this.state[f]! >= TS_SYNRECEIVED) {
        this.state[f] = TS_CLOSING;
      }
    }
  }

  /** A UDP/ICMP/other packet from the responder. */
  private replyUpdate(f: number): void {
    if (this.outcome[f] === OC_PENDING) this.resolve(f, OC_ANSWERED);
    if (this.state[f] !== 3) {
      this.state[f] = 3;
      if (this.proto[f] === PROTO_UDP) this.setClass(f, CLASS_UDP_EST);
    }
  }

  private icmpError(pkt: Packet, v6: boolean): void {
    if ((pkt.layers & LB_ICMPQUOTE) === 0) return;
    const q = pkt.icmp.quoted;
    const fam = q.ipVersion;
    const h = this.keyHash(fam, q.protocol, q.src, q.srcPort, q.dst, q.dstPort);
    const f = this.find(h, fam, q.protocol, q.src, q.srcPort, q.dst, q.dstPort);
    if (f < 0 || this.outcome[f] !== OC_PENDING || !this.lastDirection) return;
    const t = pkt.icmp.type, c = pkt.icmp.code;
    // Port unreachable (ICMPv4 3/3, ICMPv6 1/4) means the host is there and refused.
    const portUnreachable = v6 ? (t === 1 && c === 4) : (t === 3 && c === 3);
    const unreachable = v6 ? t === 1 : t === 3;
    if (portUnreachable) this.resolve(f, OC_REFUSED);
    else if (unreachable) this.resolve(f, OC_UNREACHABLE);
  }

  private startAttempt(f: number, now: number): void {
    this.outcome[f] = OC_PENDING;
    this.attemptTs[f] = now;
    // Append to the pending FIFO (attempts arrive in time order).
    this.pendPrev[f] = this.pendTail;
    this.pendNext[f] = -1;
    if (this.pendTail >= 0) this.pendNext[this.pendTail] = f;
    else this.pendHead = f;
    this.pendTail = f;
  }

  private pendUnlink(f: number): void {
    const p = this.pendPrev[f]!, n = this.pendNext[f]!;
    if (p >= 0) this.pendNext[p] = n;
    else this.pendHead = n;
    if (n >= 0) this.pendPrev[n] = p;
    else this.pendTail = p;
    this.pendPrev[f] = -1;
    this.pendNext[f] = -1;
  }

  private resolve(f: number, outcome: OutcomeCode): void {
    const now = this.now;
    this.pendUnlink(f);
    this.outcome[f] = outcome;
    const ls = this.attemptListeners;
    for (let i = 0; i < ls.length; i++) ls[i]!.onAttempt!(this, f, outcome, now);
  }

  private expirePending(): void {
    const limit = this.now - this.unansweredTimeout;
    while (this.pendHead >= 0 && this.attemptTs[this.pendHead]! <= limit) {
      this.resolve(this.pendHead, OC_UNANSWERED);
    }
  }

  private setClass(f: number, c: number): void {
    if (this.tclass[f] === c) return;
    this.lruUnlink(f);
    this.lruAppend(f, c);
  }

  private lruAppend(f: number, c: number): void {
    this.tclass[f] = c;
    const t = this.tails[c]!;
    this.lruPrev[f] = t;
    this.lruNext[f] = -1;
    if (t >= 0) this.lruNext[t] = f;
    else this.heads[c] = f;
    this.tails[c] = f;
  }

  private lruUnlink(f: number): void {
    const c = this.tclass[f]!;
    const p = this.lruPrev[f]!, n = this.lruNext[f]!;
    if (p >= 0) this.lruNext[p] = n;
    else this.heads[c] = n;
    if (n >= 0) this.lruPrev[n] = p;
    else this.tails[c] = p;
  }

  /** Moves a flow to the tail of its class list (most recently seen). */
  private touch(f: number): void {
    const c = this.tclass[f]!;
    if (this.tails[c] === f) return;
    this.lruUnlink(f);
    this.lruAppend(f, c);
  }

  private evictOldest(now: number): void {
    let victim = -1, oldest = Infinity;
    for (let c = 0; c < CLASS_COUNT; c++) {
      const h = this.heads[c]!;
      if (h >= 0 && this.lastSeen[h]! < oldest) {
        oldest = this.lastSeen[h]!;
        victim = h;
      }
    }
    this.evictions++;
    this.remove(victim, ER_EVICTED, now);
  }

  /** Ends a flow: tells listeners, unlinks it and frees its slot. */
  private remove(f: number, reason: EndReasonCode, now: number): void {
    const ls = this.endListeners;
    for (let i = 0; i < ls.length; i++) ls[i]!.onFlowEnd!(this, f, reason, now);
    if (this.outcome[f] === OC_PENDING) this.pendUnlink(f);
    this.lruUnlink(f);
    removeFromHashIndex(this.index, this.mask, this.hash[f]!, f);
    this.family[f] = 0;
    this.outcome[f] = OC_NONE;
    this.lruNext[f] = this.freeHead;
    this.freeHead = f;
    this.count--;
  }
}
