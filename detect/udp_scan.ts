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
import { scanAlert } from "./_alert.ts";
import { enabledKey, maxKeysKey, WindowCounter, WindowedDetector } from "./_window_counter.ts";
import type { DetectorDefinition, DetectorEnv } from "./detector.ts";

const section = {
  doc: "UDP port scan: ICMP port-unreachable replies to one source from one host for many " +
    "ports, or unanswered datagrams to many ports. Severity 2, signature_id 1000106.",
  keys: {
    enabled: enabledKey,
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
    max_keys: maxKeysKey,
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

// Tallies: how the counted datagrams failed.
const REFUSED = 0, UNANSWERED = 1;

class UdpScanDetector extends WindowedDetector {
  /** Answered attempts are none of its business (see `Detector.failedAttemptsOnly`). */
  readonly failedAttemptsOnly = true;
  /** ICMP port unreachables: key the (source, host) pair; items the host's ports. */
  private readonly refused: WindowCounter;
  /** Refused or unanswered datagrams, the same keys and items. */
  private readonly failed: WindowCounter;

  constructor(
    cfg: SectionValues<typeof section>,
    private readonly emit: (a: Alert) => void,
    private readonly env: DetectorEnv,
  ) {
    const refused = new WindowCounter(cfg.window, cfg.refused_ports, cfg.max_keys, { tallies: 2 });
    const failed = new WindowCounter(cfg.window, cfg.failed_ports, cfg.max_keys, { tallies: 2 });
    super([refused, failed]);
    this.refused = refused;
    this.failed = failed;
  }

  onAttempt(t: FlowTable, f: number, outcome: OutcomeCode, now: number): void {
    if (t.proto[f] !== 17) return;
    if (outcome !== Outcome.refused && outcome !== Outcome.unanswered) return;
    const fam = t.family[f]!, b = f * 4;
    if (isMulticastOrBroadcast(fam, t.addrR, b)) return;
    const key = pairKey(fam, t.addrI, b, t.addrR, b, 17);
    const port = t.portR[f]!;
    const tally = outcome === Outcome.refused ? REFUSED : UNANSWERED;
    // One alert per pair: whichever rule crosses first marks the other alerted.
    const failed = this.failed, kf = failed.observe(key, now, port);
    failed.tally(kf, tally);
    let w = failed, k = kf;
    if (outcome === Outcome.refused) {
      const refused = this.refused, kr = refused.observe(key, now, port);
      refused.tally(kr, tally);
      if (refused.crossed(kr)) {
        w = refused;
        k = kr;
        failed.markAlerted(kf);
      } else if (!refused.isAlerted(kr) && failed.crossed(kf)) {
        refused.markAlerted(kr);
      } else return;
    } else {
      const kr = this.refused.find(key, now);
      if ((kr >= 0 && this.refused.isAlerted(kr)) || !failed.crossed(kf)) return;
      if (kr >= 0) this.refused.markAlerted(kr);
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
        probes: w.probes(k),
        distinct_ports: w.distinct(k),
        ports: w.itemSample(k),
        refused: w.tallyOf(k, REFUSED),
        unanswered: w.tallyOf(k, UNANSWERED),
        rule: w === this.refused ? "icmp_port_unreachable" : "refused_or_unanswered",
        ...w.windowEvidence(k, now),
      },
    }));
  }
}
