/**
 * What a detector is: a definition (name, documented defaults, factory) and the hooks the
 * engine calls. Detectors receive flow events and the caller's clock and emit {@link Alert}s
 * and nothing else.
 *
 * @module
 */

import type { Packet } from "../decode/packet.ts";
import type { SectionSpec, SectionValues } from "../config/spec.ts";
import type { FlowListener } from "../flow/table.ts";
import type { Alert, Direction } from "./alert.ts";

/** What the engine tells a detector about the host it runs on. */
export interface DetectorEnv {
  /**
   * Direction of traffic from an offender to a target (both of family `fam`, as words at the
   * given offsets): `outbound` when the offender is a local address, `inbound` when the
   * target is, `local` when both are, `transit` when neither is (or no local addresses are
   * known, as when reading a capture file without them: every source is then judged alike).
   */
  direction(
    fam: number,
    offender: ArrayLike<number>,
    offenderOffset: number,
    target: ArrayLike<number>,
    targetOffset: number,
  ): Direction;
}

/** A running detector: flow hooks plus optional ARP, tick and stats hooks. */
export interface Detector extends FlowListener {
  /**
   * When true, the engine calls {@link FlowListener.onAttempt} only for failed attempts
   * (refused, unanswered, unreachable), not for the answered ones, most of them, which a
   * detector of failures has nothing to do with.
   */
  readonly failedAttemptsOnly?: boolean;
  /**
   * When set, the engine calls {@link FlowListener.onNewFlow} only for flows of these IP
   * protocols (ICMP 1, ICMPv6 58, ...), not for every new flow.
   */
  readonly newFlowProtocols?: readonly number[];
  /** An ARP packet (no flow: ARP is not IP). */
  onArp?(pkt: Packet): void;
  /** The clock advanced: expire state. */
  tick?(now: number): void;
  /** Counters: tracked keys and evictions. */
  stats?(): { tracked: number; evictions: number; alerts: number };
}

/** A detector's declaration: `name` is also its config section (`[scan.trw]`). */
export interface DetectorDefinition<S extends SectionSpec = SectionSpec> {
  /** Dotted name: `scan.trw`. */
  readonly name: string;
  /** Suricata-style signature id of its alerts. */
  readonly signatureId: number;
  /** The config section (keys, defaults with their trade-offs). */
  readonly defaults: S;
  /** Makes a running detector. */
  create(config: SectionValues<S>, emit: (alert: Alert) => void, env: DetectorEnv): Detector;
}
