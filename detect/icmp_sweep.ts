/**
 * `scan.icmp_sweep`: ICMP (or ICMPv6) echo requests from one source to many distinct hosts
 * within a window: a ping sweep looking for live hosts. Counted when the request starts a
 * flow (a new echo id or host), answered or not. Severity 3, signature_id 1000107.
 *
 * @module
 */

import type { Packet } from "../decode/packet.ts";
import type { SectionSpec, SectionValues } from "../config/spec.ts";
import { addressKey, formatIp } from "../flow/address.ts";
import { Outcome } from "../flow/table.ts";
import type { FlowTable } from "../flow/table.ts";
import type { Alert } from "./alert.ts";
import { evidenceTime, protoName, scanAlert, sweepDirection } from "./_alert.ts";
import { addressSample, sampleAddress, ScanWindow } from "./_scan_window.ts";
import type { Detector, DetectorDefinition, DetectorEnv } from "./detector.ts";

/** An address that is never local: asks whether a target alone is local. */
const ZERO = new Uint32Array(4);

const section = {
  doc: "Ping sweep: ICMP echo requests from one source to many hosts within a window. " +
    "Severity 3, signature_id 1000107.",
  keys: {
    enabled: { type: "boolean", default: true, doc: "Run this detector." },
    hosts: {
      type: "integer",
      default: 12,
      min: 2,
      doc: "Distinct hosts pinged that make an alert. Monitoring systems ping many hosts: " +
        "allowlist them, or raise this (fewer false positives, small sweeps missed).",
    },
    window: {
      type: "duration",
      default: 300,
      min: 1,
      doc: "Counting window; also how long a quiet source is remembered.",
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

/** The `scan.icmp_sweep` detector definition. */
export const icmpSweepDetector: DetectorDefinition<typeof section> = {
  name: "scan.icmp_sweep",
  signatureId: 1000107,
  defaults: section,
  create(config, emit, env) {
    return new IcmpSweepDetector(config, emit, env);
  },
};

class IcmpSweepDetector implements Detector {
  private readonly w: ScanWindow;
  private alerts = 0;

  constructor(
    cfg: SectionValues<typeof section>,
    private readonly emit: (a: Alert) => void,
    private readonly env: DetectorEnv,
  ) {
    this.w = new ScanWindow(cfg.window, cfg.hosts, cfg.max_keys);
  }

  onNewFlow(t: FlowTable, f: number, pkt: Packet): void {
    const proto = t.proto[f]!;
    // An echo request starts an attempt; other ICMP flows have none.
    if ((proto !== 1 && proto !== 58) || t.outcome[f] !== Outcome.pending) return;
    const fam = t.family[f]!, b = f * 4;
    const now = pkt.ts;
    const s = this.w.observe(addressKey(fam, t.addrI, b), now, addressKey(fam, t.addrR, b));
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
      detector: "scan.icmp_sweep",
      severity: 3,
      signatureId: 1000107,
      signature: `ICMP echo sweep of ${s.distinct.size} hosts by ${src}`,
      srcIp: src,
      destIp: dst,
      destPort: null,
      proto: pn,
      direction: sweepDirection(this.env.direction(fam, t.addrI, b, t.addrR, b), s.extra[7] === 1),
      spoofable: true,
      evidence: {
        probes: s.probes,
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
