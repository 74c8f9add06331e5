/**
 * `scan.host`: horizontal scan. One source's failed attempts to one port (TCP refused,
 * unanswered or unreachable; UDP refused by ICMP) on many distinct hosts within a window.
 * Successful connections are not counted, so a browser reaching many servers on 443 does
 * not add up. Severity 2, signature_id 1000103.
 *
 * @module
 */

import type { SectionSpec, SectionValues } from "../config/spec.ts";
import { addressKey, formatIp, isMulticastOrBroadcast, pairKey } from "../flow/address.ts";
import { isFailedOutcome, Outcome, type OutcomeCode } from "../flow/table.ts";
import type { FlowTable } from "../flow/table.ts";
import type { Alert } from "./alert.ts";
import { evidenceTime, protoName, scanAlert, sweepDirection } from "./_alert.ts";
import { addressSample, sampleAddress, ScanWindow } from "./_scan_window.ts";
import type { Detector, DetectorDefinition, DetectorEnv } from "./detector.ts";

const section = {
  doc: "Horizontal scan: failed attempts from one source to one port on many distinct " +
    "hosts within a window. Severity 2, signature_id 1000103.",
  keys: {
    enabled: { type: "boolean", default: true, doc: "Run this detector." },
    hosts: {
      type: "integer",
      default: 20,
      min: 2,
      doc: "Distinct hosts with failed attempts on one port that make an alert. Lower " +
        "catches small sweeps, raises false positives from clients whose servers are down.",
    },
    window: {
      type: "duration",
      default: 300,
      min: 1,
      doc: "Counting window; also how long a quiet source is remembered. Longer catches " +
        "slower sweeps, keeps more state.",
    },
    max_keys: {
      type: "integer",
      default: 2_000,
      min: 16,
      doc: "Most keys tracked; the least recently active is evicted (counted in stats). " +
        "Each key costs at most about 2.5 KB. Higher keeps real scanners tracked during a " +
        "flood of spoofed sources; lower bounds memory tighter.",
    },
  },
} as const satisfies SectionSpec;

const ZERO = new Uint32Array(4);

/** The `scan.host` detector definition. */
export const hostScanDetector: DetectorDefinition<typeof section> = {
  name: "scan.host",
  signatureId: 1000103,
  defaults: section,
  create(config, emit, env) {
    return new HostScanDetector(config, emit, env);
  },
};

class HostScanDetector implements Detector {
  private readonly w: ScanWindow;
  private alerts = 0;

  constructor(
    cfg: SectionValues<typeof section>,
    private readonly emit: (a: Alert) => void,
    private readonly env: DetectorEnv,
  ) {
    this.w = new ScanWindow(cfg.window, cfg.hosts, cfg.max_keys);
  }

  onAttempt(t: FlowTable, f: number, outcome: OutcomeCode, now: number): void {
    const proto = t.proto[f]!;
    if (proto === 6) {
      if (!isFailedOutcome(outcome)) return;
    } else if (proto === 17) {
      if (outcome !== Outcome.refused) return;
    } else return;
    const fam = t.family[f]!, b = f * 4;
    if (isMulticastOrBroadcast(fam, t.addrR, b)) return;
    const port = t.portR[f]!;
    const s = this.w.observe(
      pairKey(fam, t.addrI, b, ZERO, 0, port | (proto << 16)),
      now,
      addressKey(fam, t.addrR, b),
    );
    if (s.fresh) s.fam = fam;
    if (s.added) sampleAddress(s, fam, t.addrR, b);
    // extra[7]: a swept host is this host (the sweep is then inbound).
    if (s.added && this.env.direction(fam, ZERO, 0, t.addrR, b) !== "transit") s.extra[7] = 1;
    if (!this.w.crossed(s)) return;
    this.alerts++;
    const src = formatIp(fam, t.addrI, b), dst = formatIp(fam, t.addrR, b);
    const pn = protoName(proto, fam);
    this.emit(scanAlert({
      ts: now,
      detector: "scan.host",
      severity: 2,
      signatureId: 1000103,
      signature: `${pn} sweep of port ${port} across ${s.distinct.size} hosts by ${src}`,
      srcIp: src,
      destIp: dst,
      destPort: port,
      proto: pn,
      direction: sweepDirection(this.env.direction(fam, t.addrI, b, t.addrR, b), s.extra[7] === 1),
      spoofable: true,
      evidence: {
        probes: s.probes,
        port,
        distinct_hosts: s.distinct.size,
        hosts: addressSample(s.sample),
        threshold: this.w.threshold,
        window_s: this.w.window,
        first: evidenceTime(s.firstTs),
        last: evidenceTime(now),
      },
    }));
  }

  tick(now: number): void {
    this.w.expire(now);
  }

  stats() {
    return { tracked: this.w.states.size, evictions: this.w.states.evictions, alerts: this.alerts };
  }
}
