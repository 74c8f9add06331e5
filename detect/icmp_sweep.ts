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
import { protoName, scanAlert, sweepDirection } from "./_alert.ts";
import { enabledKey, maxKeysKey, WindowCounter, WindowedDetector } from "./_window_counter.ts";
import type { DetectorDefinition, DetectorEnv } from "./detector.ts";

/** An address that is never local: asks whether a target alone is local. */
const ZERO = new Uint32Array(4);

const section = {
  doc: "Ping sweep: ICMP echo requests from one source to many hosts within a window. " +
    "Severity 3, signature_id 1000107.",
  keys: {
    enabled: enabledKey,
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
    max_keys: maxKeysKey,
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

/** The flow is an ICMP or ICMPv6 echo request (the only ICMP flows that start an attempt). */
function isEchoRequest(t: FlowTable, f: number): boolean {
  const proto = t.proto[f]!;
  return (proto === 1 || proto === 58) && t.outcome[f] === Outcome.pending;
}

class IcmpSweepDetector extends WindowedDetector {
  /** Only ICMP and ICMPv6 flows are its business (see `Detector.newFlowProtocols`). */
  readonly newFlowProtocols = [1, 58] as const;
  private readonly w: WindowCounter;

  constructor(
    cfg: SectionValues<typeof section>,
    private readonly emit: (a: Alert) => void,
    private readonly env: DetectorEnv,
  ) {
    const w = new WindowCounter(cfg.window, cfg.hosts, cfg.max_keys, { labels: true });
    super([w]);
    this.w = w;
  }

  onNewFlow(t: FlowTable, f: number, pkt: Packet): void {
    if (!isEchoRequest(t, f)) return;
    const fam = t.family[f]!, b = f * 4;
    const now = pkt.ts;
    // Key: the source; items: the hosts pinged.
    const w = this.w, k = w.observe(addressKey(fam, t.addrI, b), now, addressKey(fam, t.addrR, b));
    if (w.wasAdded(k)) {
      w.label(k, fam, t.addrR, b);
      if (this.env.direction(fam, ZERO, 0, t.addrR, b) !== "transit") w.markLocalTarget(k);
    }
    if (!w.crossed(k)) return;
    this.alerts++;
    const src = formatIp(fam, t.addrI, b), dst = formatIp(fam, t.addrR, b);
    this.emit(scanAlert({
      ts: now,
      detector: "scan.icmp_sweep",
      severity: 3,
      signatureId: 1000107,
      signature: `ICMP echo sweep of ${w.distinct(k)} hosts by ${src}`,
      srcIp: src,
      destIp: dst,
      destPort: null,
      proto: protoName(t.proto[f]!, fam),
      direction: sweepDirection(
        this.env.direction(fam, t.addrI, b, t.addrR, b),
        w.hasLocalTarget(k),
      ),
      spoofable: true,
      evidence: {
        probes: w.probes(k),
        distinct_hosts: w.distinct(k),
        hosts: w.addressSample(k),
        ...w.windowEvidence(k, now),
      },
    }));
  }
}
