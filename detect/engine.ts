/**
 * The detection engine: one flow table and every scan detector, fed decoded packets.
 *
 * The capture loop hands each decoded {@link Packet} to {@link Engine.onPacket}; the engine
 * updates the flow table, which calls the engine back with flow events, and the engine
 * passes them on to the detectors unless the flow touches an allowlisted address. Time is
 * the packet clock: the engine runs its housekeeping (idle timeouts, state expiry) when a
 * packet's time passes the next second, and {@link Engine.tick} lets a live capture advance
 * the clock on an idle link. Ordinary packets allocate nothing.
 *
 * @example
 * ```ts
 * import { Engine } from "./engine.ts";
 * import { defaultFlowConfig } from "../flow/config.ts";
 * const alerts: string[] = [];
 * const engine = new Engine({
 *   flow: { ...defaultFlowConfig, max_flows: 4096 },
 *   allowlist: ["192.0.2.0/24"],
 *   localAddresses: ["10.0.0.1"],
 *   emit: (a) => alerts.push(a.signature),
 * });
 * engine.tick(0);
 * engine.finish();
 * ```
 *
 * @module
 */

import { LayerBit, type Packet } from "../decode/packet.ts";
import { CidrSet } from "../flow/address.ts";
import type { FlowConfig } from "../flow/config.ts";
import {
  type EndReasonCode,
  FlowFlag,
  type FlowListener,
  FlowTable,
  Outcome,
  type OutcomeCode,
} from "../flow/table.ts";
import type { Alert, Direction } from "./alert.ts";
import { sectionDefaults } from "../config/spec.ts";
import { scanDetectors } from "./config.ts";
import type { Detector, DetectorDefinition, DetectorEnv } from "./detector.ts";

// Module-private copies of the constants the per-packet code reads (see flow/table.ts).
const LB_ARP = LayerBit.arp;
const FF_IGNORED = FlowFlag.ignored;
const OC_ANSWERED = Outcome.answered;

/** How to build an {@link Engine}. */
export interface EngineOptions {
  /** The `[flow]` section. */
  flow: FlowConfig;
  /**
   * Validated detector sections by name (`"scan.trw"` → its values). A missing section or
   * missing key takes the declared default; a section with `enabled = false` is not run.
   */
  detectors?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** Detector definitions to run (default: every scan detector). */
  definitions?: readonly DetectorDefinition[];
  /** Addresses/CIDRs never counted, as source or destination (`response.allowlist`). */
  allowlist: readonly string[] | CidrSet;
  /** This host's addresses (for alert directions). Empty: every source is judged alike. */
  localAddresses: readonly string[];
  /** Receives every alert. */
  emit: (alert: Alert) => void;
}

/** Engine counters. */
export interface EngineStats {
  packets: number;
  /** Flows in the table now, created, evicted, timed out. */
  flows: number;
  flowsCreated: number;
  evictions: number;
  flowTimeouts: number;
  /** Packets not tracked as flows (no IP, non-first fragments, ICMP errors, ARP). */
  untracked: number;
  /** Events skipped because an endpoint is allowlisted. */
  allowlisted: number;
  alerts: number;
  /** Per detector: keys tracked, keys evicted by its cap, alerts. */
  detectors: Record<string, { tracked: number; evictions: number; alerts: number }>;
}

/** Runs the flow table and the detectors over decoded packets. */
export class Engine {
  /** The flow table (read-only use by callers: stats, debugging). */
  readonly flows: FlowTable;
  private readonly detectors: { name: string; d: Detector }[] = [];
  // Each detector's hooks, bound to it: calling a function from the list is one call site
  // with several targets, not a method lookup on up to 8 classes (megamorphic).
  private readonly newFlowHooks: NonNullable<Detector["onNewFlow"]>[] = [];
  /** onNewFlow of the detectors with `newFlowProtocols`, by IP protocol number. */
  private readonly protocolNewFlowHooks: (NonNullable<Detector["onNewFlow"]>[] | undefined)[] =
    new Array(256);
  private readonly packetHooks: NonNullable<Detector["onPacket"]>[] = [];
  private readonly attemptHooks: NonNullable<Detector["onAttempt"]>[] = [];
  /** onAttempt of the detectors with `failedAttemptsOnly`, called after `attemptHooks`. */
  private readonly failedAttemptHooks: NonNullable<Detector["onAttempt"]>[] = [];
  private readonly endHooks: NonNullable<Detector["onFlowEnd"]>[] = [];
  private readonly arpHooks: NonNullable<Detector["onArp"]>[] = [];
  private readonly allow: CidrSet;
  private local: CidrSet;
  private readonly emitOut: (a: Alert) => void;
  private packets = 0;
  private alerts = 0;
  private allowlisted = 0;
  private nextHousekeeping = -Infinity;
  private readonly arpWords = new Uint32Array(4);

  constructor(opts: EngineOptions) {
    this.flows = new FlowTable(opts.flow);
    this.allow = opts.allowlist instanceof CidrSet ? opts.allowlist : new CidrSet(opts.allowlist);
    this.local = new CidrSet(opts.localAddresses);
    this.emitOut = opts.emit;
    const emit = (a: Alert) => {
      this.alerts++;
      this.emitOut(a);
    };
    const env: DetectorEnv = {
      direction: (fam, off, offO, tgt, tgtO): Direction => {
        const local = this.local;
        const o = local.has(fam, off, offO), t = local.has(fam, tgt, tgtO);
        return o && t ? "local" : o ? "outbound" : t ? "inbound" : "transit";
      },
    };
    let allPackets = false;
    for (const def of opts.definitions ?? scanDetectors) {
      const given = opts.detectors?.[def.name] ?? {};
      const values = { ...sectionDefaults(def.defaults), ...given } as Record<string, unknown>;
      if (values.enabled === false) continue;
      // deno-lint-ignore no-explicit-any
      const d = def.create(values as any, emit, env);
      this.detectors.push({ name: def.name, d });
      if (d.onNewFlow) {
        const hook = d.onNewFlow.bind(d);
        if (d.newFlowProtocols === undefined) this.newFlowHooks.push(hook);
        else {
          for (const p of d.newFlowProtocols) {
            (this.protocolNewFlowHooks[p & 255] ??= []).push(hook);
          }
        }
      }
      if (d.onPacket) {
        this.packetHooks.push(d.onPacket.bind(d));
        if (d.unusualTcpOnly !== true) allPackets = true;
      }
      if (d.onAttempt) {
        (d.failedAttemptsOnly === true ? this.failedAttemptHooks : this.attemptHooks)
          .push(d.onAttempt.bind(d));
      }
      if (d.onFlowEnd) this.endHooks.push(d.onFlowEnd.bind(d));
      if (d.onArp) this.arpHooks.push(d.onArp.bind(d));
    }
    // The flow table calls back only the hooks some detector has (ended flows, every flow of a
    // file at its end, cost nothing when none listens); new flows also when the allowlist must
    // mark them; onPacket runs per packet, and only on unusual TCP packets when every detector
    // that takes packets asks for no more.
    const listener: FlowListener = {};
    if (this.attemptHooks.length > 0 || this.failedAttemptHooks.length > 0) {
      listener.onAttempt = (t, f, o, now) => this.flowAttempt(t, f, o, now);
    }
    if (
      this.newFlowHooks.length > 0 || this.protocolNewFlowHooks.some((h) => h !== undefined) ||
      this.allow.size > 0
    ) {
      listener.onNewFlow = (t, f, pkt) => this.flowNew(t, f, pkt);
    }
    if (this.endHooks.length > 0) listener.onFlowEnd = (t, f, r, now) => this.flowEnd(t, f, r, now);
    if (this.packetHooks.length > 0) {
      listener.onPacket = (t, f, pkt, fromI, isNew) => this.flowPacket(t, f, pkt, fromI, isNew);
      if (!allPackets) {
        (listener as { unusualTcpOnly?: boolean }).unusualTcpOnly = true;
      }
    }
    this.flows.addListener(listener);
  }

  /** Analyses one decoded packet (the caller owns and reuses `pkt`). */
  onPacket(pkt: Packet): void {
    this.packets++;
    if (pkt.ts >= this.nextHousekeeping) this.tick(pkt.ts);
    if ((pkt.layers & LB_ARP) !== 0) {
      this.flows.update(pkt); // counts it as untracked and advances the clock
      const w = this.arpWords;
      w[0] = pkt.arp.senderIp;
      if (this.allow.size > 0) {
        if (this.allow.has(4, w)) {
          this.allowlisted++;
          return;
        }
        w[0] = pkt.arp.targetIp;
        if (this.allow.has(4, w)) {
          this.allowlisted++;
          return;
        }
      }
      const hooks = this.arpHooks;
      for (let i = 0; i < hooks.length; i++) hooks[i]!(pkt);
      return;
    }
    this.flows.update(pkt);
  }

  /**
   * Replaces this host's addresses (alert directions), e.g. after DHCP gave it a new one.
   * Alerts raised from then on use the new list.
   */
  setLocalAddresses(addresses: readonly string[]): void {
    this.local = new CidrSet(addresses);
  }

  /** Advances the clock to `now` (seconds): timeouts, unanswered attempts, state expiry. */
  tick(now: number): void {
    this.flows.tick(now);
    const t = this.flows.now;
    for (const { d } of this.detectors) d.tick?.(t);
    this.nextHousekeeping = t + 1;
  }

  /**
   * End of input (end of a capture file, shutdown): ends every flow. Attempts still waiting
   * for a reply are not called unanswered: the capture stopped before they could be.
   */
  finish(): void {
    this.flows.flush();
  }

  /** Counters. */
  stats(): EngineStats {
    const fs = this.flows.stats();
    const detectors: EngineStats["detectors"] = {};
    for (const { name, d } of this.detectors) {
      detectors[name] = d.stats?.() ?? { tracked: 0, evictions: 0, alerts: 0 };
    }
    return {
      packets: this.packets,
      flows: fs.flows,
      flowsCreated: fs.created,
      evictions: fs.evictions,
      flowTimeouts: fs.timeouts,
      untracked: fs.untracked,
      allowlisted: this.allowlisted,
      alerts: this.alerts,
      detectors,
    };
  }

  // ---- FlowListener: filter allowlisted flows, fan out to detectors ----

  private flowNew(t: FlowTable, f: number, pkt: Packet): void {
    if (this.allow.size > 0) {
      const fam = t.family[f]!, b = f * 4;
      if (this.allow.has(fam, t.addrI, b) || this.allow.has(fam, t.addrR, b)) {
        t.flags[f] = t.flags[f]! | FF_IGNORED;
        this.allowlisted++;
        return;
      }
    }
    const hooks = this.newFlowHooks;
    for (let i = 0; i < hooks.length; i++) hooks[i]!(t, f, pkt);
    const byProtocol = this.protocolNewFlowHooks[t.proto[f]!];
    if (byProtocol === undefined) return;
    for (let i = 0; i < byProtocol.length; i++) byProtocol[i]!(t, f, pkt);
  }

  private flowPacket(t: FlowTable, f: number, pkt: Packet, fromI: boolean, isNew: boolean): void {
    if ((t.flags[f]! & FF_IGNORED) !== 0) return;
    const hooks = this.packetHooks;
    for (let i = 0; i < hooks.length; i++) hooks[i]!(t, f, pkt, fromI, isNew);
  }

  private flowAttempt(t: FlowTable, f: number, outcome: OutcomeCode, now: number): void {
    if ((t.flags[f]! & FF_IGNORED) !== 0) return;
    const hooks = this.attemptHooks;
    for (let i = 0; i < hooks.length; i++) hooks[i]!(t, f, outcome, now);
    if (outcome === OC_ANSWERED) return;
    const failed = this.failedAttemptHooks;
    for (let i = 0; i < failed.length; i++) failed[i]!(t, f, outcome, now);
  }

  private flowEnd(t: FlowTable, f: number, reason: EndReasonCode, now: number): void {
    if ((t.flags[f]! & FF_IGNORED) !== 0) return;
    const hooks = this.endHooks;
    for (let i = 0; i < hooks.length; i++) hooks[i]!(t, f, reason, now);
  }
}
