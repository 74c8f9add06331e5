/**
 * The firewall backend contract shared by every ban backend, plus the in-memory and dry-run
 * backends.
 *
 * Lifecycle (STYLE.md, Actions): `start()` creates the backend's own table/sets/chains
 * (idempotent, keeps existing bans); `ban()`/`unban()` only queue; `commit()` applies the queue
 * as one batch; `list()` reads what is in the kernel, with the remaining time; `flush()` empties
 * only the backend's own sets; `stop()` leaves the table and sets in place unless asked to
 * remove them, because bans must outlive a pcap_ts restart and the kernel expires them itself.
 *
 * @module
 */

import { normalizeIp, parseCidr } from "./safety_ip.ts";

/** `ban`: drop inbound traffic from the address; `block`: drop outbound traffic to it. */
export type BanKind = "ban" | "block";

/** One queued change. `durationS` 0 means no timeout (stays until removed). */
export type FirewallOp =
  | { op: "add"; ip: string; kind: BanKind; durationS: number; reason: string }
  | { op: "remove"; ip: string; kind: BanKind };

/** One element found in the kernel (or in the memory backend). */
export interface BanEntry {
  /** Canonical address, or prefix (`fd00:1::/64`). */
  ip: string;
  kind: BanKind;
  /** Seconds until the kernel removes it; null when it has no timeout. */
  expiresS: number | null;
  /** Timeout it was added with, in seconds, when the backend knows it. */
  timeoutS: number | null;
  /** The comment stored with the element (pcap_ts stores the ban reason there). */
  reason: string | null;
}

/** What a `commit()` did. */
export interface CommitResult {
  /** Operations applied. */
  applied: number;
  /** Operations that failed, each with the backend's message. */
  failed: { op: FirewallOp; error: string }[];
  /** Wall time of the whole commit, in milliseconds. */
  ms: number;
}

/** Names of the backends, as `response.backend` spells them. */
export type BackendName = "nftables" | "iptables" | "dry-run" | "memory";

/** Every ban backend implements this. */
export interface FirewallBackend {
  readonly name: BackendName;
  /** Human description (`nftables (libnftables)`, `nftables (nft command)`, ...). */
  readonly description: string;
  start(): Promise<void>;
  /** Queues an add; `durationS` 0 means no timeout. Re-banning refreshes the timeout. */
  ban(ip: string, durationS: number, reason: string, kind?: BanKind): void;
  /** Queues a removal; removing an element that is not there is not an error. */
  unban(ip: string, kind?: BanKind): void;
  /** Number of queued operations. */
  pending(): number;
  commit(): Promise<CommitResult>;
  list(): Promise<BanEntry[]>;
  flush(): Promise<void>;
  /** `removeAll`: also delete the table/sets/chains this backend made (default: keep them). */
  stop(opts?: { removeAll?: boolean }): Promise<void>;
}

/** Error from a firewall backend; `message` carries the tool's own words. */
export class BanError extends Error {
  override name = "BanError";
}

/** Message used everywhere a firewall change is refused for lack of privilege. */
export const NOT_PERMITTED = "Operation not permitted — run as root or with CAP_NET_ADMIN";

/** True when a tool's error text says it lacked privilege. */
export function isPermissionError(text: string): boolean {
  return /Operation not permitted|Permission denied|EPERM|must be root|You need to be root/i
    .test(text);
}

/**
 * Checks and canonicalises an address for a backend: single IPv4/IPv6 addresses for any kind,
 * IPv6 prefixes for bans. Throws {@link BanError} otherwise.
 */
export function canonicalTarget(ip: string, kind: BanKind): string {
  const n = normalizeIp(ip);
  const c = n === null ? null : parseCidr(n);
  if (n === null || c === null) throw new BanError(`Not a valid IP address or prefix: "${ip}"`);
  const single = c.bits === (c.family === 4 ? 32 : 128);
  if (!single && (c.family === 4 || kind !== "ban")) {
    throw new BanError(`Cannot ${kind} the prefix ${n}: only IPv6 prefixes can be banned`);
  }
  return n;
}

/** Keeps the queue small: the last operation on an (ip, kind) wins. */
export class OpQueue {
  #ops = new Map<string, FirewallOp>();
  push(op: FirewallOp): void {
    const key = `${op.kind} ${op.ip}`;
    this.#ops.delete(key);
    this.#ops.set(key, op);
  }
  get size(): number {
    return this.#ops.size;
  }
  /** Returns the queued operations in order and empties the queue. */
  take(): FirewallOp[] {
    const ops = [...this.#ops.values()];
    this.#ops.clear();
    return ops;
  }
}

/**
 * The queueing half of the backend lifecycle, the same for every backend: `ban` and `unban`
 * only queue (the last operation on an address wins); the backend's `commit` applies the queue.
 */
export abstract class QueuedBackend {
  protected readonly queue: OpQueue = new OpQueue();
  ban(ip: string, durationS: number, reason: string, kind: BanKind = "ban"): void {
    this.queue.push({ op: "add", ip: canonicalTarget(ip, kind), kind, durationS, reason });
  }
  unban(ip: string, kind: BanKind = "ban"): void {
    this.queue.push({ op: "remove", ip: canonicalTarget(ip, kind), kind });
  }
  pending(): number {
    return this.queue.size;
  }
}

interface MemoryElement {
  kind: BanKind;
  ip: string;
  /** Absolute expiry in ms on the backend's clock, or null. */
  untilMs: number | null;
  timeoutS: number | null;
  reason: string;
}

/**
 * In-memory backend for tests and simulation: behaves like a set with timeouts, on an
 * injectable clock (milliseconds).
 */
export class MemoryBackend extends QueuedBackend implements FirewallBackend {
  readonly name = "memory" as const;
  readonly description = "memory (no firewall changes)";
  #elements = new Map<string, MemoryElement>();
  #now: () => number;
  /** Every committed batch, for tests. */
  readonly batches: FirewallOp[][] = [];
  started = false;

  constructor(opts: { nowMs?: () => number } = {}) {
    super();
    this.#now = opts.nowMs ?? Date.now;
  }
  start(): Promise<void> {
    this.started = true;
    return Promise.resolve();
  }
  commit(): Promise<CommitResult> {
    const t0 = performance.now();
    const ops = this.queue.take();
    if (ops.length > 0) this.batches.push(ops);
    for (const op of ops) {
      const key = `${op.kind} ${op.ip}`;
      if (op.op === "remove") this.#elements.delete(key);
      else {
        this.#elements.set(key, {
          kind: op.kind,
          ip: op.ip,
          untilMs: op.durationS > 0 ? this.#now() + op.durationS * 1000 : null,
          timeoutS: op.durationS > 0 ? op.durationS : null,
          reason: op.reason,
        });
      }
    }
    return Promise.resolve({ applied: ops.length, failed: [], ms: performance.now() - t0 });
  }
  list(): Promise<BanEntry[]> {
    const now = this.#now();
    const out: BanEntry[] = [];
    for (const [key, e] of this.#elements) {
      if (e.untilMs !== null && e.untilMs <= now) {
        this.#elements.delete(key);
        continue;
      }
      out.push({
        ip: e.ip,
        kind: e.kind,
        expiresS: e.untilMs === null ? null : Math.floor((e.untilMs - now) / 1000),
        timeoutS: e.timeoutS,
        reason: e.reason,
      });
    }
    return Promise.resolve(out);
  }
  flush(): Promise<void> {
    this.#elements.clear();
    return Promise.resolve();
  }
  stop(opts: { removeAll?: boolean } = {}): Promise<void> {
    if (opts.removeAll) this.#elements.clear();
    this.started = false;
    return Promise.resolve();
  }
}

/**
 * Dry-run backend: records and logs what it would do, changes nothing, lists nothing (the
 * kernel is not read either, so a dry run needs no privilege).
 */
export class DryRunBackend extends QueuedBackend implements FirewallBackend {
  readonly name = "dry-run" as const;
  readonly description = "dry-run (decides and logs, changes nothing)";
  #log: (line: string) => void;
  /** Every line logged, for tests. */
  readonly lines: string[] = [];

  constructor(opts: { log?: (line: string) => void } = {}) {
    super();
    this.#log = opts.log ?? ((l) => console.error(l));
  }
  #say(line: string) {
    this.lines.push(line);
    this.#log(line);
  }
  start(): Promise<void> {
    this.#say("dry-run: would create table inet pcap_ts (or ipset sets) if missing");
    return Promise.resolve();
  }
  commit(): Promise<CommitResult> {
    const ops = this.queue.take();
    for (const op of ops) {
      this.#say(
        op.op === "add"
          ? `dry-run: would ${op.kind} ${op.ip} ${
            op.durationS > 0 ? `for ${op.durationS}s` : "without a time limit"
          } (${op.reason})`
          : `dry-run: would remove the ${op.kind} of ${op.ip}`,
      );
    }
    return Promise.resolve({ applied: ops.length, failed: [], ms: 0 });
  }
  list(): Promise<BanEntry[]> {
    return Promise.resolve([]);
  }
  flush(): Promise<void> {
    this.#say("dry-run: would flush the pcap_ts sets");
    return Promise.resolve();
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
}
