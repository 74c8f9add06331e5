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
import type { FlowTable, OutcomeCode } from "../flow/table.ts";
import type { Alert } from "./alert.ts";
import { protoName, scanAlert, sweepDirection } from "./_alert.ts";
import {
  enabledKey,
  isFailedProbe,
  maxKeysKey,
  WindowCounter,
  WindowedDetector,
} from "./_window_counter.ts";
import type { DetectorDefinition, DetectorEnv } from "./detector.ts";

const section = {
  doc: "Horizontal scan: failed attempts from one source to one port on many distinct " +
    "hosts within a window. Severity 2, signature_id 1000103.",
  keys: {
    enabled: enabledKey,
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
    max_keys: maxKeysKey,
  },
} as const satisfies SectionSpec;

/** An address that is never local: asks whether a target alone is local. */
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

class HostScanDetector extends WindowedDetector {
  /** Answered attempts are none of its business (see `Detector.failedAttemptsOnly`). */
  readonly failedAttemptsOnly = true;
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

  onAttempt(t: FlowTable, f: number, outcome: OutcomeCode, now: number): void {
    const proto = t.proto[f]!;
    if (!isFailedProbe(proto, outcome)) return;
    const fam = t.family[f]!, b = f * 4;
    if (isMulticastOrBroadcast(fam, t.addrR, b)) return;
    const port = t.portR[f]!;
    // Key: the source and the (port, protocol); items: the hosts.
    const w = this.w;
    const k = w.observe(
      pairKey(fam, t.addrI, b, ZERO, 0, port | (proto << 16)),
      now,
      addressKey(fam, t.addrR, b),
    );
    if (w.wasAdded(k)) {
      w.label(k, fam, t.addrR, b);
      if (this.env.direction(fam, ZERO, 0, t.addrR, b) !== "transit") w.markLocalTarget(k);
    }
    if (!w.crossed(k)) return;
    this.alerts++;
    const src = formatIp(fam, t.addrI, b), dst = formatIp(fam, t.addrR, b);
    const pn = protoName(proto, fam);
    this.emit(scanAlert({
      ts: now,
      detector: "scan.host",
      severity: 2,
      signatureId: 1000103,
      signature: `${pn} sweep of port ${port} across ${w.distinct(k)} hosts by ${src}`,
      srcIp: src,
      destIp: dst,
      destPort: port,
      proto: pn,
      direction: sweepDirection(
        this.env.direction(fam, t.addrI, b, t.addrR, b),
        w.hasLocalTarget(k),
      ),
      spoofable: true,
      evidence: {
        probes: w.probes(k),
        port,
        distinct_hosts: w.distinct(k),
        hosts: w.addressSample(k),
        ...w.windowEvidence(k, now),
      },
    }));
  }
}
