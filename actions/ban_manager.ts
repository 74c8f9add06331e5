/**
 * `BanManager`: decides bans, escalates them for repeat offenders, refuses what must never be
 * banned, batches firewall changes, keeps the state file, and reports every change through
 * `onBanEvent`.
 *
 * Timing: the first request after a quiet period is committed at once (on the next turn of the
 * event loop); requests that follow within `commitIntervalMs` of a commit wait for the next
 * commit, so a burst becomes one firewall transaction and every ban is in the kernel well
 * within a second of its alert.
 *
 * Notes for the integrator:
 * - The manager does not look at `Alert.spoofable`: whether an alert leads to a ban is the
 *   policy's decision (actions/policy.ts); the manager decides how long and whether it is safe.
 * - Ban times use the wall clock (`now`), not capture timestamps: kernel timeouts run on it.
 * - The state file is written after each commit that changed something. A crash between the
 *   firewall commit and that write loses nothing: the next start adopts kernel elements the
 *   file lacks (their reason comes from the element's comment; the offence count restarts).
 * - `onBanEvent` fires after the change reached the firewall (failed operations are logged,
 *   not reported as bans), and for expiries noticed by the 1 s sweep (`reason: "expired"`).
 *
 * @module
 */

import type { Alert } from "../detect/alert.ts";
import type { BanSettings } from "./ban_config.ts";
import type { BanEntry, BanKind, CommitResult, FirewallBackend } from "./firewall.ts";
import {
  type HostAddresses,
  readHostAddresses,
  type Refusal,
  type RefusalReason,
  SafetyGuard,
} from "./safety.ts";
import { formatCidr, normalizeIp, parseCidr, prefixOf } from "./safety_ip.ts";
import { type BanState, loadState, type SavedBan, STATE_VERSION, StateStore } from "./state.ts";
import { EvictionCursor } from "./_eviction_cursor.ts";

/** One firewall change, for EVE `ban` events. */
export interface BanEvent {
  /** Seconds since the epoch. */
  ts: number;
  ip: string;
  action: "add" | "remove";
  /** Ban length for adds (0: no timeout); 0 for removes. */
  durationS: number;
  reason: string;
  kind: BanKind;
}

/**
 * The `ban` object of an EVE `ban` event (DESIGN.md: `{"ban":{"ip","action","duration_s","reason"}}`),
 * for the integrator's event writer.
 */
export function banEventToEve(
  e: BanEvent,
): { ip: string; action: "add" | "remove"; duration_s: number; reason: string; kind: BanKind } {
  return { ip: e.ip, action: e.action, duration_s: e.durationS, reason: e.reason, kind: e.kind };
}

/** A ban asked for directly (the CLI, the policy, tests). */
export interface BanParams {
  ip: string;
  reason: string;
  /** Overrides the escalation ladder when given and > 0. */
  durationS?: number;
  /** "ban" (inbound, default) or "block" (outbound destination). */
  kind?: BanKind;
}

/** Outcome of {@link BanManager.request}. */
export type BanDecision =
  | {
    ok: true;
    ip: string;
    kind: BanKind;
    durationS: number;
    /** Offence number of this address (1 for a first offence). */
    offence: number;
    /** The IPv6 /64 also banned by this request, or null. */
    prefix: string | null;
    /** Why the prefix was not banned although the offender count was reached, or null. */
    prefixRefusal: Refusal | null;
  }
  | { ok: false; ip: string; reason: RefusalReason | "already banned"; detail: string };

/** A refusal, for an alert-like log line. */
export interface RefusalEvent extends Refusal {
  ts: number;
  ip: string;
  requested: string;
}

/** What {@link BanManager.start} found and did. */
export interface StartReport {
  /** Bans in the state file still in the kernel. */
  kept: number;
  /** Bans in the state file missing from the kernel, added again with their remaining time. */
  readded: number;
  /** Bans in the kernel the state file did not know, adopted. */
  adopted: number;
  /** Bans in the state file that ended while pcap_ts was not running. */
  expired: number;
  /** The state file's problem, when it had to be set aside. */
  warning: string | null;
}

/** Options of a {@link BanManager}. */
export interface BanManagerOptions {
  backend: FirewallBackend;
  settings: BanSettings;
  /** Host addresses to protect, fixed; when absent they are read from the system at start
   * and again every `hostRefreshMs` (an address from DHCP or a new route is protected too). */
  host?: HostAddresses;
  /** Reads the host's addresses (default: `readHostAddresses`, from the system). */
  readHost?: () => Promise<HostAddresses>;
  /** How often to read the host's addresses again while running, in ms (default 30000; 0: never). */
  hostRefreshMs?: number;
  /** Clock in seconds since the epoch (default: wall clock). */
  now?: () => number;
  /** Called for every ban and unban that reached the firewall. */
  onBanEvent?: (e: BanEvent) => void;
  /** Called for every refusal (safety or rate cap). */
  onRefusal?: (r: RefusalEvent) => void;
  /** Log lines (default: stderr). */
  log?: (line: string) => void;
  /** Persist to `settings.stateFile` (default true). */
  persist?: boolean;
  /** Run commit/expiry timers (default true; tests drive `commit()`/`sweep()` by hand). */
  timers?: boolean;
  /** How often to compare with the kernel while running, in ms (default 30000; 0: never). */
  reconcileIntervalMs?: number;
}

type Timer = ReturnType<typeof setTimeout>;

/** Most offence records kept; the least recently recorded are forgotten first. */
export const MAX_OFFENCES = 100_000;
/** Refusal log sampling per reason: the first few, then 1 in this many. */
const REFUSAL_LOG_FIRST = 10;
const REFUSAL_LOG_EVERY = 100;

/** Decides, queues, commits, persists and reports bans over one firewall backend. */
export class BanManager {
  readonly backend: FirewallBackend;
  readonly settings: BanSettings;
  readonly safety: SafetyGuard;
  #now: () => number;
  #onEvent: (e: BanEvent) => void;
  #onRefusal: (r: RefusalEvent) => void;
  #log: (line: string) => void;
  #store: StateStore | null;
  #useTimers: boolean;
  #reconcileMs: number;
  #host: HostAddresses | undefined;
  #readHost: () => Promise<HostAddresses>;
  #hostRefreshMs: number;
  /** The host addresses in force, as one comparable string. */
  #hostKey = "";
  #hostTimer: Timer | null = null;

  #active = new Map<string, SavedBan>();
  #offences = new Map<string, { count: number; last: number }>();
  /** Finds the least recently recorded offence without walking the Map's holes. */
  #oldestOffence = new EvictionCursor(this.#offences);
  #pendingEvents: BanEvent[] = [];
  #commitTimer: Timer | null = null;
  #sweepTimer: Timer | null = null;
  #reconcileTimer: Timer | null = null;
  #committing: Promise<CommitResult> | null = null;
  #lastCommitMs = -Infinity;
  #started = false;
  /** Counters since start. */
  readonly counters = {
    requested: 0,
    banned: 0,
    refused: 0,
    commits: 0,
    failedOps: 0,
    unbanned: 0,
    expired: 0,
  };

  constructor(opts: BanManagerOptions) {
    this.backend = opts.backend;
    this.settings = opts.settings;
    this.#now = opts.now ?? (() => Date.now() / 1000);
    this.#onEvent = opts.onBanEvent ?? (() => {});
    this.#onRefusal = opts.onRefusal ?? (() => {});
    this.#log = opts.log ?? ((l) => console.error(l));
    this.#store = opts.persist === false ? null : new StateStore(opts.settings.stateFile);
    this.#useTimers = opts.timers ?? true;
    this.#reconcileMs = opts.reconcileIntervalMs ?? 30_000;
    this.#host = opts.host;
    this.#readHost = opts.readHost ?? readHostAddresses;
    this.#hostRefreshMs = opts.hostRefreshMs ?? 30_000;
    this.safety = new SafetyGuard({
      allowlist: opts.settings.allowlist,
      maxBansPerMinute: opts.settings.maxBansPerMinute,
    });
  }

  /**
   * Creates the firewall table (keeping existing bans), loads the state file, and reconciles
   * it with the kernel: bans only in the state are added again with their remaining time, bans
   * only in the kernel are adopted.
   */
  async start(): Promise<StartReport> {
    const host = this.#host ?? await this.#readHost();
    this.safety.setHost(host);
    this.#hostKey = hostKey(host);
    await this.backend.start();
    const report: StartReport = { kept: 0, readded: 0, adopted: 0, expired: 0, warning: null };
    const now = this.#now();
    if (this.#store) {
      const { state, warning } = await loadState(this.#store.path, now);
      report.warning = warning;
      if (warning) this.#log(`pcap_ts: ${warning}`);
      for (const o of state.offences) {
        if (o.last > now - this.settings.offenceMemoryS) {
          this.#offences.set(o.ip, { count: o.count, last: o.last });
        }
      }
      for (const b of state.bans) {
        if (b.until !== null && b.until <= now) report.expired++;
        else this.#active.set(`${b.kind} ${b.ip}`, { ...b });
      }
    }
    const kernel = await this.backend.list();
    const inKernel = new Map<string, BanEntry>(kernel.map((e) => [`${e.kind} ${e.ip}`, e]));
    for (const [key, b] of this.#active) {
      const k = inKernel.get(key);
      if (k) {
        report.kept++;
        if (k.expiresS !== null) b.until = now + k.expiresS;
      } else {
        report.readded++;
        const remaining = b.until === null ? 0 : Math.max(1, Math.ceil(b.until - now));
        this.backend.ban(b.ip, remaining, b.reason, b.kind);
        this.#pendingEvents.push({
          ts: now,
          ip: b.ip,
          action: "add",
          durationS: remaining,
          reason: `restored: ${b.reason}`,
          kind: b.kind,
        });
      }
    }
    for (const [key, k] of inKernel) {
      if (this.#active.has(key)) continue;
      report.adopted++;
      this.#adopt(k, now);
    }
    this.#started = true;
    await this.commit();
    if (this.#useTimers) {
      const sweep = setInterval(() => this.sweep(), 1000);
      Deno.unrefTimer(sweep as unknown as number);
      this.#sweepTimer = sweep;
      if (this.#reconcileMs > 0) {
        const rec = setInterval(() => {
          this.reconcile().catch((e) =>
            this.#log(`pcap_ts: ban reconcile failed: ${(e as Error).message}`)
          );
        }, this.#reconcileMs);
        Deno.unrefTimer(rec as unknown as number);
        this.#reconcileTimer = rec;
      }
      if (this.#host === undefined && this.#hostRefreshMs > 0) {
        const ht = setInterval(() => {
          this.refreshHost().catch((e) =>
            this.#log(`pcap_ts: cannot read this host's addresses: ${(e as Error).message}`)
          );
        }, this.#hostRefreshMs);
        Deno.unrefTimer(ht as unknown as number);
        this.#hostTimer = ht;
      }
    }
    return report;
  }

  /**
   * Reads this host's own addresses, gateways and resolvers again (unless they were given
   * fixed), so that an address that came later (DHCP, a new interface or route) is never
   * banned. Returns true, and logs what changed, when they changed.
   */
  async refreshHost(): Promise<boolean> {
    if (this.#host !== undefined) return false;
    const host = await this.#readHost();
    const key = hostKey(host);
    if (key === this.#hostKey) return false;
    this.safety.setHost(host);
    this.#hostKey = key;
    this.#log(
      `pcap_ts: this host's addresses changed; protected now: own ${
        host.own.join(", ") || "-"
      }; gateways ${host.gateways.join(", ") || "-"}; resolvers ${host.dns.join(", ") || "-"}`,
    );
    return true;
  }

  #adopt(k: BanEntry, now: number): void {
    const reason = k.reason ?? "adopted from the firewall";
    this.#active.set(`${k.kind} ${k.ip}`, {
      ip: k.ip,
      kind: k.kind,
      until: k.expiresS === null ? null : now + k.expiresS,
      reason,
      offences: Math.max(1, this.#offences.get(k.ip)?.count ?? 1),
      since: now,
    });
    if (!this.#offences.has(k.ip) && k.kind === "ban") {
      this.#offences.set(k.ip, { count: 1, last: now });
    }
  }

  /** The ban length for offence number `n` (1-based) on the escalation ladder. */
  durationFor(n: number): number {
    const d = this.settings.banDurationsS;
    return d[Math.min(Math.max(n, 1), d.length) - 1] ?? 600;
  }

  /**
   * Decides on a ban for an alert (its `offender`) or for explicit parameters, and queues it.
   * Refusals are returned (and logged, sampled), never thrown.
   */
  request(input: Alert | BanParams): BanDecision {
    this.counters.requested++;
    const now = this.#now();
    const p: BanParams = "offender" in input
      ? { ip: input.offender, reason: `${input.detector}: ${input.signature}` }
      : input;
    const kind = p.kind ?? "ban";
    const ip = normalizeIp(p.ip);
    const cidr = ip === null ? null : parseCidr(ip);
    if (ip === null || cidr === null || cidr.bits !== (cidr.family === 4 ? 32 : 128)) {
      return this.#refuse(now, p.ip, {
        reason: "invalid address",
        detail: `"${p.ip}" is not a single IP address`,
      });
    }
    const unsafe = this.safety.check(ip);
    if (unsafe) return this.#refuse(now, ip, unsafe);
    const cur = this.#active.get(`${kind} ${ip}`);
    if (cur && (cur.until === null || cur.until > now)) {
      return {
        ok: false,
        ip,
        reason: "already banned",
        detail: `${ip} is banned until ${
          cur.until === null ? "removed" : new Date(cur.until * 1000).toISOString()
        }`,
      };
    }
    // The offence counts even when the cap refuses the ban: the next ban is then longer.
    const off = this.#recordOffence(ip, now);
    const capped = this.safety.takeSlot(now);
    if (capped) return this.#refuse(now, ip, capped);
    const durationS = p.durationS !== undefined && p.durationS > 0
      ? p.durationS
      : this.durationFor(off);
    this.#add(ip, kind, durationS, p.reason, off, now);
    let prefix: string | null = null;
    let prefixRefusal: Refusal | null = null;
    if (kind === "ban" && cidr.family === 6 && this.settings.ipv6PrefixAfter > 0) {
      const net = prefixOf(cidr, 64);
      const netText = formatCidr(net);
      const offenders = this.#offendersIn(net.bytes, now);
      const netBan = this.#active.get(`ban ${netText}`);
      if (
        offenders >= this.settings.ipv6PrefixAfter &&
        !(netBan && (netBan.until === null || netBan.until > now))
      ) {
        prefixRefusal = this.safety.check(netText) ?? this.safety.takeSlot(now);
        if (prefixRefusal) this.#refuse(now, netText, prefixRefusal);
        else {
          prefix = netText;
          this.#add(
            netText,
            "ban",
            durationS,
            `${offenders} offenders in ${netText}; last: ${p.reason}`,
            off,
            now,
          );
        }
      }
    }
    return { ok: true, ip, kind, durationS, offence: off, prefix, prefixRefusal };
  }

  #offendersIn(net: Uint8Array, now: number): number {
    let n = 0;
    const memory = this.settings.offenceMemoryS;
    for (const [ip, o] of this.#offences) {
      if (!ip.includes(":") || o.last <= now - memory) continue;
      const c = parseCidr(ip);
      if (c && c.bits === 128 && c.bytes.subarray(0, 8).every((b, i) => b === net[i])) n++;
    }
    return n;
  }

  #recordOffence(ip: string, now: number): number {
    const o = this.#offences.get(ip);
    const count = o && o.last > now - this.settings.offenceMemoryS ? o.count + 1 : 1;
    this.#offences.delete(ip);
    this.#offences.set(ip, { count, last: now });
    if (this.#offences.size > MAX_OFFENCES) this.#oldestOffence.shift();
    return count;
  }

  #add(
    ip: string,
    kind: BanKind,
    durationS: number,
    reason: string,
    offences: number,
    now: number,
  ) {
    this.backend.ban(ip, durationS, reason, kind);
    this.#active.set(`${kind} ${ip}`, {
      ip,
      kind,
      until: durationS > 0 ? now + durationS : null,
      reason,
      offences,
      since: now,
    });
    this.#pendingEvents.push({ ts: now, ip, action: "add", durationS, reason, kind });
    this.counters.banned++;
    this.#schedule();
  }

  #refuse(now: number, ip: string, r: Refusal): BanDecision {
    this.counters.refused++;
    this.safety.count(r);
    const n = this.safety.refusals.get(r.reason) ?? 1;
    if (n <= REFUSAL_LOG_FIRST || n % REFUSAL_LOG_EVERY === 0) {
      this.#log(
        `pcap_ts: ban of ${ip} refused (${r.reason}): ${r.detail} [${n} refused for this reason]`,
      );
    }
    this.#onRefusal({ ts: now, ip, requested: ip, ...r });
    return { ok: false, ip, reason: r.reason, detail: r.detail };
  }

  /**
   * Queues the removal of a ban (or a block). Returns false when pcap_ts did not know it; the
   * removal is queued anyway, in case the kernel has it.
   */
  unban(ipText: string, opts: { kind?: BanKind; reason?: string } = {}): boolean {
    const kind = opts.kind ?? "ban";
    const ip = normalizeIp(ipText);
    if (ip === null) return false;
    const known = this.#active.delete(`${kind} ${ip}`);
    this.backend.unban(ip, kind);
    this.#pendingEvents.push({
      ts: this.#now(),
      ip,
      action: "remove",
      durationS: 0,
      reason: opts.reason ?? "unbanned",
      kind,
    });
    this.counters.unbanned++;
    this.#schedule();
    return known;
  }

  #schedule(): void {
    if (!this.#started || !this.#useTimers || this.#commitTimer !== null) return;
    const wait = Math.max(
      0,
      this.#lastCommitMs + this.settings.commitIntervalMs - performance.now(),
    );
    this.#commitTimer = setTimeout(() => {
      this.#commitTimer = null;
      this.commit().catch((e) => this.#log(`pcap_ts: ban commit failed: ${(e as Error).message}`));
    }, wait);
  }

  /**
   * Applies everything queued as one firewall transaction, reports the changes through
   * `onBanEvent`, and saves the state. Commits never overlap.
   */
  async commit(): Promise<CommitResult> {
    while (this.#committing) await this.#committing.catch(() => {});
    const p = this.#commitNow();
    this.#committing = p;
    try {
      return await p;
    } finally {
      this.#committing = null;
    }
  }

  async #commitNow(): Promise<CommitResult> {
    const events = this.#pendingEvents;
    this.#pendingEvents = [];
    if (this.backend.pending() === 0 && events.length === 0) {
      return { applied: 0, failed: [], ms: 0 };
    }
    // Only a commit that changed something opens a batching window for the next one.
    this.#lastCommitMs = performance.now();
    const res = await this.backend.commit();
    this.counters.commits++;
    const failedKeys = new Set<string>();
    for (const f of res.failed) {
      this.counters.failedOps++;
      failedKeys.add(`${f.op.kind} ${f.op.ip} ${f.op.op}`);
      if (f.op.op === "add") this.#active.delete(`${f.op.kind} ${f.op.ip}`);
      this.#log(`pcap_ts: ${f.error}`);
    }
    for (const e of events) {
      if (!failedKeys.has(`${e.kind} ${e.ip} ${e.action}`)) this.#emit(e);
    }
    await this.#save();
    return res;
  }

  #emit(e: BanEvent): void {
    try {
      this.#onEvent(e);
    } catch (err) {
      this.#log(`pcap_ts: onBanEvent handler failed: ${(err as Error).message}`);
    }
  }

  /** Forgets bans the kernel has expired (reported as `remove`, reason "expired") and old offences. */
  sweep(): void {
    const now = this.#now();
    let changed = false;
    for (const [key, b] of this.#active) {
      if (b.until !== null && b.until <= now) {
        this.#active.delete(key);
        this.counters.expired++;
        this.#emit({
          ts: now,
          ip: b.ip,
          action: "remove",
          durationS: 0,
          reason: "expired",
          kind: b.kind,
        });
        changed = true;
      }
    }
    for (const [ip, o] of this.#offences) {
      if (o.last <= now - this.settings.offenceMemoryS) {
        this.#offences.delete(ip);
        changed = true;
      }
    }
    this.#oldestOffence.reset(); // let go of tables from before the sweep
    if (changed) this.#save().catch(() => {});
  }

  /**
   * Compares with the kernel while running: bans removed outside pcap_ts (`pcap_ts bans
   * unban`, an operator's nft command) are forgotten, bans added outside it are adopted.
   */
  async reconcile(): Promise<{ forgotten: number; adopted: number }> {
    if (this.backend.name === "dry-run") return { forgotten: 0, adopted: 0 };
    await this.commit();
    const now = this.#now();
    const kernel = await this.backend.list();
    const keys = new Map(kernel.map((e) => [`${e.kind} ${e.ip}`, e]));
    let forgotten = 0, adopted = 0;
    for (const [key, b] of this.#active) {
      if (keys.has(key) || this.backend.pending() > 0) continue;
      if (b.until !== null && b.until <= now + 1) continue; // expiring anyway
      this.#active.delete(key);
      forgotten++;
      this.#emit({
        ts: now,
        ip: b.ip,
        action: "remove",
        durationS: 0,
        reason: "removed outside pcap_ts",
        kind: b.kind,
      });
    }
    for (const [key, k] of keys) {
      if (this.#active.has(key)) continue;
      this.#adopt(k, now);
      adopted++;
    }
    if (forgotten + adopted > 0) await this.#save();
    return { forgotten, adopted };
  }

  /** Active bans as pcap_ts knows them (newest last). */
  bans(): SavedBan[] {
    const now = this.#now();
    return [...this.#active.values()].filter((b) => b.until === null || b.until > now).map((b) => ({
      ...b,
    }));
  }

  /** Offence count remembered for an address (0 when none). */
  offenceCount(ip: string): number {
    const n = normalizeIp(ip);
    const o = n === null ? undefined : this.#offences.get(n);
    return o && o.last > this.#now() - this.settings.offenceMemoryS ? o.count : 0;
  }

  /** The state as it would be saved now. */
  snapshot(): BanState {
    return {
      version: STATE_VERSION,
      savedAt: this.#now(),
      bans: this.bans(),
      offences: [...this.#offences].map(([ip, o]) => ({ ip, count: o.count, last: o.last })),
    };
  }

  async #save(): Promise<void> {
    if (!this.#store || this.backend.name === "dry-run") return;
    await this.#store.save(this.snapshot());
    if (this.#store.lastError) this.#log(`pcap_ts: ${this.#store.lastError.message}`);
  }

  /**
   * Stops the timers, commits what is queued, saves the state and stops the backend, which
   * leaves the firewall table and its bans in place (the kernel expires them).
   */
  async stop(): Promise<void> {
    for (const t of [this.#commitTimer, this.#sweepTimer, this.#reconcileTimer, this.#hostTimer]) {
      if (t !== null) clearTimeout(t);
    }
    this.#commitTimer =
      this.#sweepTimer =
      this.#reconcileTimer =
      this.#hostTimer =
        null;
    await this.commit();
    this.#started = false;
    await this.backend.stop();
  }
}

/** Host addresses as one string that is equal exactly when the sets are. */
function hostKey(h: HostAddresses): string {
  const sorted = (xs: readonly string[]) => [...xs].sort().join(",");
  return `${sorted(h.own)}|${sorted(h.gateways)}|${sorted(h.dns)}`;
}
