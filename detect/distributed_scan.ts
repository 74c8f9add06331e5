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
import type { FlowTable, OutcomeCode } from "../flow/table.ts";
import type { Alert } from "./alert.ts";
import { protoName, scanAlert } from "./_alert.ts";
import { ItemLists } from "./_item_lists.ts";
import {
  enabledKey,
  isFailedProbe,
  maxKeysKey,
  SAMPLE_MAX,
  sortedSample,
  WindowCounter,
  WindowedDetector,
} from "./_window_counter.ts";
import type { DetectorDefinition, DetectorEnv } from "./detector.ts";

const section = {
  doc: "Distributed scan: failed attempts against one host from many distinct sources " +
    "within a window. Severity 3, signature_id 1000104.",
  keys: {
    enabled: enabledKey,
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
    max_keys: maxKeysKey,
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

/** Most distinct (port, protocol) pairs remembered per target. */
const PORTS_MAX = 64;

class DistributedScanDetector extends WindowedDetector {
  /** Answered attempts are none of its business (see `Detector.failedAttemptsOnly`). */
  readonly failedAttemptsOnly = true;
  private readonly w: WindowCounter;
  /** Per target slot of {@link w}: the (port | protocol << 16) pairs probed in its window. */
  private readonly ports: ItemLists;

  constructor(
    private readonly cfg: SectionValues<typeof section>,
    private readonly emit: (a: Alert) => void,
    private readonly env: DetectorEnv,
  ) {
    const w = new WindowCounter(cfg.window, cfg.sources, cfg.max_keys, { labels: true });
    super([w]);
    this.w = w;
    this.ports = new ItemLists(cfg.max_keys);
  }

  onAttempt(t: FlowTable, f: number, outcome: OutcomeCode, now: number): void {
    const proto = t.proto[f]!;
    if (!isFailedProbe(proto, outcome)) return;
    const fam = t.family[f]!, b = f * 4;
    if (isMulticastOrBroadcast(fam, t.addrR, b)) return;
    // Key: the target host; items: the sources.
    const w = this.w, k = w.observe(addressKey(fam, t.addrR, b), now, addressKey(fam, t.addrI, b));
    if (w.isFresh(k)) this.ports.clear(k);
    this.notePort(k, t.portR[f]! | (proto << 16));
    if (w.wasAdded(k)) w.label(k, fam, t.addrI, b);
    if (this.ports.count(k) < this.cfg.min_ports || !w.crossed(k)) return;
    this.alerts++;
    const src = formatIp(fam, t.addrI, b), dst = formatIp(fam, t.addrR, b);
    this.emit(scanAlert({
      ts: now,
      detector: "scan.distributed",
      severity: 3,
      signatureId: 1000104,
      signature: `Distributed scan of ${dst} by ${w.distinct(k)} sources`,
      srcIp: src,
      destIp: dst,
      destPort: null,
      proto: protoName(proto, fam),
      direction: this.env.direction(fam, t.addrI, b, t.addrR, b),
      spoofable: true,
      evidence: {
        probes: w.probes(k),
        distinct_sources: w.distinct(k),
        sources: w.addressSample(k),
        distinct_ports: this.ports.count(k),
        ports: sortedSample(this.ports.entries(k).map((e) => this.ports.item(e) & 0xffff))
          .slice(0, SAMPLE_MAX),
        ...w.windowEvidence(k, now),
      },
    }));
  }

  /** Remembers a probed (port, protocol) of the target in slot `k`, up to {@link PORTS_MAX}. */
  private notePort(k: number, portProto: number): void {
    const ports = this.ports;
    if (ports.count(k) < PORTS_MAX && !ports.has(k, portProto)) ports.push(k, portProto);
  }
}
