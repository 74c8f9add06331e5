/**
 * `scan.udp`: UDP port scan of one host. Evidence is the scanned host's ICMP port
 * unreachable replies (the flow table matches each to the quoted datagram: outcome
 * `refused`), and, with a higher threshold, datagrams to many ports that get no reply at all
 * (a host whose ICMP is rate-limited or filtered). Severity 2, signature_id 1000106.
 *
 * @module
 */

import type { SectionSpec, SectionValues } from "../config/spec.ts";
import { formatIp, isMulticastOrBroadcast, pairKey } from "../flow/address.ts";
import { Outcome, type OutcomeCode } from "../flow/table.ts";
import type { FlowTable } from "../flow/table.ts";
import type { Alert } from "./alert.ts";
import { evidenceTime, scanAlert } from "./_alert.ts";
import { SAMPLE_MAX, type ScanState, ScanWindow, sortedSample } from "./_scan_window.ts";
import type { Detector, DetectorDefinition, DetectorEnv } from "./detector.ts";

const section = {
  doc: "UDP port scan: ICMP port-unreachable replies to one source from one host for many " +
    "ports, or unanswered datagrams to many ports. Severity 2, signature_id 1000106.",
  keys: {
    enabled: { type: "boolean", default: true, doc: "Run this detector." },
    refused_ports: {
      type: "integer",
      default: 10,
      min: 2,
      doc: "Distinct ports of one host that answered one source with ICMP port unreachable " +
        "and make an alert. A traceroute's last hop refuses about 3; lower catches smaller " +
        "scans, raises false positives from misconfigured clients.",
    },
    failed_ports: {
      type: "integer",
      default: 40,
      min: 2,
      doc: "Distinct ports of one host with refused or unanswered datagrams from one " +
        "source that make an alert. Media and peer-to-peer traffic (ICE checks, RTP) sends " +
        "to many ports without replies, so keep this well above their port counts.",
    },
    window: {
      type: "duration",
      default: 300,
      min: 1,
      doc: "Counting window; also how long a quiet pair is remembered.",
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

/** The `scan.udp` detector definition. */
export const udpScanDetector: DetectorDefinition<typeof section> = {
  name: "scan.udp",
  signatureId: 1000106,
  defaults: section,
  create(config, emit, env) {
    return new UdpScanDetector(config, emit, env);
  },
};

class UdpScanDetector implements Detector {
  private readonly refused: ScanWindow;
  private readonly failed: ScanWindow;
  private alerts = 0;

  constructor(
    cfg: SectionValues<typeof section>,
    private readonly emit: (a: Alert) => void,
    private readonly env: DetectorEnv,
  ) {
    this.refused = new ScanWindow(cfg.window, cfg.refused_ports, cfg.max_keys);
    this.failed = new ScanWindow(cfg.window, cfg.failed_ports, cfg.max_keys);
  }

  onAttempt(t: FlowTable, f: number, outcome: OutcomeCode, now: number): void {
    if (t.proto[f] !== 17) return;
    if (outcome !== Outcome.refused && outcome !== Outcome.unanswered) return;
    const fam = t.family[f]!, b = f * 4;
    if (isMulticastOrBroadcast(fam, t.addrR, b)) return;
    const key = pairKey(fam, t.addrI, b, t.addrR, b, 17);
    const port = t.portR[f]!;
    const sf = this.failed.observe(key, now, port);
    this.note(sf, outcome, port);
    let s: ScanState = sf, w = this.failed;
    if (outcome === Outcome.refused) {
      const sr = this.refused.observe(key, now, port);
      this.note(sr, outcome, port);
      if (this.refused.crossed(sr)) {
        s = sr;
        w = this.refused;
        sf.alerted = true; // one alert per pair
      } else if (!sr.alerted && this.failed.crossed(sf)) {
        sr.alerted = true;
      } else return;
    } else {
      const sr = this.refused.states.get(key, now);
      if (sr?.alerted || !this.failed.crossed(sf)) return;
      if (sr) sr.alerted = true;
    }
    this.alerts++;
    const src = formatIp(fam, t.addrI, b), dst = formatIp(fam, t.addrR, b);
    this.emit(scanAlert({
      ts: now,
      detector: "scan.udp",
      severity: 2,
      signatureId: 1000106,
      signature: `UDP port scan of ${dst} by ${src}`,
      srcIp: src,
      destIp: dst,
      destPort: null,
      proto: "UDP",
      direction: this.env.direction(fam, t.addrI, b, t.addrR, b),
      spoofable: true,
      evidence: {
        probes: s.probes,
        distinct_ports: s.distinct.size,
        ports: sortedSample(s.sample),
        refused: s.extra[0]!,
        unanswered: s.extra[1]!,
        rule: w === this.refused ? "icmp_port_unreachable" : "refused_or_unanswered",
        threshold: w.threshold,
        window_s: w.window,
        first: evidenceTime(s.firstTs),
        last: evidenceTime(now),
      },
    }));
  }

  private note(s: ScanState, outcome: OutcomeCode, port: number): void {
    const i = outcome === Outcome.refused ? 0 : 1;
    s.extra[i] = s.extra[i]! + 1;
    if (s.added && s.sample.length < SAMPLE_MAX) s.sample.push(port);
  }

  tick(now: number): void {
    this.refused.expire(now);
    this.failed.expire(now);
  }

  stats() {
    return {
      tracked: this.refused.states.size + this.failed.states.size,
      evictions: this.refused.states.evictions + this.failed.states.evictions,
      alerts: this.alerts,
    };
  }
}
