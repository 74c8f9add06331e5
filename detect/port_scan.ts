/**
 * `scan.port`: vertical TCP scan. One source's failed connection attempts (refused by RST,
 * unanswered, or ICMP-unreachable) to many distinct ports of one host within a window.
 * Catches scans too slow or too mixed for TRW's run of failures, and stateless scanners.
 * Successful connections are not counted, so a client opening many connections (FTP data
 * channels, browsers) does not add up. Severity 2, signature_id 1000102.
 *
 * @module
 */

import type { SectionSpec, SectionValues } from "../config/spec.ts";
import { formatIp, isMulticastOrBroadcast, pairKey } from "../flow/address.ts";
import { isFailedOutcome, Outcome, type OutcomeCode } from "../flow/table.ts";
import type { FlowTable } from "../flow/table.ts";
import type { Alert } from "./alert.ts";
import { scanAlert } from "./_alert.ts";
import { enabledKey, WindowCounter, WindowedDetector } from "./_window_counter.ts";
import type { DetectorDefinition, DetectorEnv } from "./detector.ts";

const section = {
  doc: "Vertical TCP port scan: failed TCP connection attempts from one source to many " +
    "distinct ports of one host within a window. Severity 2, signature_id 1000102.",
  keys: {
    enabled: enabledKey,
    ports: {
      type: "integer",
      default: 20,
      min: 2,
      doc: "Distinct ports with failed attempts that make an alert. Lower catches smaller " +
        "scans, raises false positives from clients probing a few closed ports.",
    },
    window: {
      type: "duration",
      default: 300,
      min: 1,
      doc: "Counting window; also how long a quiet source is remembered (and after which " +
        "it may alert again). Longer catches slower scans but keeps more state and joins " +
        "unrelated failures.",
    },
    max_keys: {
      type: "integer",
      default: 2_000,
      min: 16,
      doc: "Most (source, host) pairs tracked; least recently active evicted (counted). " +
        "Each costs at most about 2.5 KB (measured: 1.5 KB with IPv4 samples).",
    },
  },
} as const satisfies SectionSpec;

/** The `scan.port` detector definition. */
export const portScanDetector: DetectorDefinition<typeof section> = {
  name: "scan.port",
  signatureId: 1000102,
  defaults: section,
  create(config, emit, env) {
    return new PortScanDetector(config, emit, env);
  },
};

// Tallies: how the counted attempts failed.
const REFUSED = 0, UNANSWERED = 1, UNREACHABLE = 2;

/** The tally an attempt outcome counts under. */
function failureTally(outcome: OutcomeCode): number {
  return outcome === Outcome.refused
    ? REFUSED
    : outcome === Outcome.unanswered
    ? UNANSWERED
    : UNREACHABLE;
}

class PortScanDetector extends WindowedDetector {
  /** Answered attempts are none of its business (see `Detector.failedAttemptsOnly`). */
  readonly failedAttemptsOnly = true;
  private readonly w: WindowCounter;

  constructor(
    cfg: SectionValues<typeof section>,
    private readonly emit: (a: Alert) => void,
    private readonly env: DetectorEnv,
  ) {
    const w = new WindowCounter(cfg.window, cfg.ports, cfg.max_keys, { tallies: 3 });
    super([w]);
    this.w = w;
  }

  onAttempt(t: FlowTable, f: number, outcome: OutcomeCode, now: number): void {
    if (t.proto[f] !== 6 || !isFailedOutcome(outcome)) return;
    const fam = t.family[f]!, b = f * 4;
    if (isMulticastOrBroadcast(fam, t.addrR, b)) return;
    // Key: the (source, host) pair; items: the host's ports.
    const w = this.w, k = w.observe(pairKey(fam, t.addrI, b, t.addrR, b, 6), now, t.portR[f]!);
    w.tally(k, failureTally(outcome));
    if (!w.crossed(k)) return;
    this.alerts++;
    const src = formatIp(fam, t.addrI, b), dst = formatIp(fam, t.addrR, b);
    this.emit(scanAlert({
      ts: now,
      detector: "scan.port",
      severity: 2,
      signatureId: 1000102,
      signature: `TCP port scan of ${dst} by ${src}`,
      srcIp: src,
      destIp: dst,
      destPort: null,
      proto: "TCP",
      direction: this.env.direction(fam, t.addrI, b, t.addrR, b),
      spoofable: true,
      evidence: {
        probes: w.probes(k),
        distinct_ports: w.distinct(k),
        ports: w.itemSample(k),
        refused: w.tallyOf(k, REFUSED),
        unanswered: w.tallyOf(k, UNANSWERED),
        unreachable: w.tallyOf(k, UNREACHABLE),
        ...w.windowEvidence(k, now),
      },
    }));
  }
}
