/**
 * `scan.distributed`: many sources with failed attempts against one host within a window
 * (a scan split across many addresses so that no single source crosses the per-source
 * thresholds). No single scanner exists: the alert names the source whose probe crossed the
 * threshold as offender and lists a sample of the others; it is always spoofable (forged
 * sources are the cheapest way to look distributed). Severity 3, signature_id 1000104.
 *
 * @module
 */

import type { SectionSpec, SectionValues } from "../config/spec.ts";
import { addressKey, formatIp, isMulticastOrBroadcast } from "../flow/address.ts";
import { isFailedOutcome, Outcome, type OutcomeCode } from "../flow/table.ts";
import type { FlowTable } from "../flow/table.ts";
import type { Alert } from "./alert.ts";
import { evidenceTime, protoName, scanAlert } from "./_alert.ts";
import {
  addressSample,
  SAMPLE_MAX,
  sampleAddress,
  ScanWindow,
  sortedSample,
} from "./_scan_window.ts";
import type { Detector, DetectorDefinition, DetectorEnv } from "./detector.ts";

const section = {
  doc: "Distributed scan: failed attempts against one host from many distinct sources " +
    "within a window. Severity 3, signature_id 1000104.",
  keys: {
    enabled: { type: "boolean", default: true, doc: "Run this detector." },
    sources: {
      type: "integer",
      default: 50,
      min: 2,
      doc: "Distinct sources with failed attempts that make an alert. Lower catches " +
        "smaller botnets but fires on busy servers with background Internet scanning.",
    },
    min_ports: {
      type: "integer",
      default: 5,
      min: 1,
      doc: "The failed attempts must also cover at least this many distinct ports of the " +
        "host (a many-source scan probes many ports; a popular service that is down is " +
        "one port). Lower is more sensitive.",
    },
    window: {
      type: "duration",
      default: 300,
      min: 1,
      doc: "Counting window; also how long a quiet target is remembered.",
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

/** The `scan.distributed` detector definition. */
export const distributedScanDetector: DetectorDefinition<typeof section> = {
  name: "scan.distributed",
  signatureId: 1000104,
  defaults: section,
  create(config, emit, env) {
    return new DistributedScanDetector(config, emit, env);
  },
};

class DistributedScanDetector implements Detector {
  private readonly w: ScanWindow;
  private alerts = 0;
  private readonly portSets = new WeakMap<object, Set<number>>();

  constructor(
    private readonly cfg: SectionValues<typeof section>,
    private readonly emit: (a: Alert) => void,
    private readonly env: DetectorEnv,
  ) {
    this.w = new ScanWindow(cfg.window, cfg.sources, cfg.max_keys);
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
    const s = this.w.observe(addressKey(fam, t.addrR, b), now, addressKey(fam, t.addrI, b));
    let ports = this.portSets.get(s);
    if (ports === undefined || s.fresh) {
      ports = new Set();
      this.portSets.set(s, ports);
    }
    if (ports.size < 64) ports.add(t.portR[f]! | (proto << 16));
    if (s.added) sampleAddress(s, fam, t.addrI, b);
    if (s.alerted || s.distinct.size < this.w.threshold || ports.size < this.cfg.min_ports) {
      return;
    }
    s.alerted = true;
    this.alerts++;
    const src = formatIp(fam, t.addrI, b), dst = formatIp(fam, t.addrR, b);
    this.emit(scanAlert({
      ts: now,
      detector: "scan.distributed",
      severity: 3,
      signatureId: 1000104,
      signature: `Distributed scan of ${dst} by ${s.distinct.size} sources`,
      srcIp: src,
      destIp: dst,
      destPort: null,
      proto: protoName(proto, fam),
      direction: this.env.direction(fam, t.addrI, b, t.addrR, b),
      spoofable: true,
      evidence: {
        probes: s.probes,
        distinct_sources: s.distinct.size,
        sources: addressSample(s.sample),
        distinct_ports: ports.size,
        ports: sortedSample([...ports].map((p) => p & 0xffff)).slice(0, SAMPLE_MAX),
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
