/**
 * `scan.arp_sweep`: ARP who-has requests from one sender for many distinct target
 * addresses within a window (nmap -sn, arp-scan, netdiscover on the local link).
 * Gratuitous ARP (sender = target) is ignored. A sender without an address (0.0.0.0, the
 * ARP probe of RFC 5227) is keyed and named by its MAC. Severity 3, signature_id 1000108.
 *
 * @module
 */

import { macToString } from "../decode/address.ts";
import type { Packet } from "../decode/packet.ts";
import type { SectionSpec, SectionValues } from "../config/spec.ts";
import { formatIp } from "../flow/address.ts";
import type { Alert } from "./alert.ts";
import { scanAlert, sweepDirection } from "./_alert.ts";
import { enabledKey, maxKeysKey, WindowCounter, WindowedDetector } from "./_window_counter.ts";
import type { DetectorDefinition, DetectorEnv } from "./detector.ts";

const section = {
  doc: "ARP sweep: who-has requests from one sender for many addresses within a window. " +
    "Severity 3, signature_id 1000108.",
  keys: {
    enabled: enabledKey,
    targets: {
      type: "integer",
      default: 30,
      min: 2,
      doc: "Distinct target addresses asked for that make an alert. Routers and busy " +
        "servers ARP for every neighbour they talk to: raise this on large subnets (fewer " +
        "false positives) or lower it to catch partial sweeps.",
    },
    window: {
      type: "duration",
      default: 60,
      min: 1,
      doc: "Counting window; also how long a quiet sender is remembered. Longer catches " +
        "slow sweeps, but joins a router's ordinary ARP traffic over time.",
    },
    max_keys: maxKeysKey,
  },
} as const satisfies SectionSpec;

/** The `scan.arp_sweep` detector definition. */
export const arpSweepDetector: DetectorDefinition<typeof section> = {
  name: "scan.arp_sweep",
  signatureId: 1000108,
  defaults: section,
  create(config, emit, env) {
    return new ArpSweepDetector(config, emit, env);
  },
};

const words = new Uint32Array(4);
const targetWords = new Uint32Array(4);
/** An address that is never local: asks whether a target alone is local. */
const ZERO = new Uint32Array(4);

/** An IPv4 who-has request that is not gratuitous (sender asking for its own address). */
function isWhoHasOther(a: Packet["arp"]): boolean {
  return a.op === 1 && a.protocolType === 0x0800 && a.protocolLen === 4 &&
    a.senderIp !== a.targetIp;
}

/** Key of an ARP sender: its address, or (for 0.0.0.0) 2^32 + a 48-bit mix of its MAC. */
function senderKey(a: Packet["arp"], buf: Uint8Array): number {
  if (a.senderIp !== 0) return a.senderIp >>> 0;
  const m = a.senderMacOffset;
  return 4294967296 +
    ((buf[m + 1]! << 24 | buf[m + 2]! << 16 | buf[m + 3]! << 8 | buf[m + 4]!) >>> 0) * 256 +
    buf[m + 5]! + buf[m]! * 1099511627776;
}

class ArpSweepDetector extends WindowedDetector {
  private readonly w: WindowCounter;

  constructor(
    cfg: SectionValues<typeof section>,
    private readonly emit: (a: Alert) => void,
    private readonly env: DetectorEnv,
  ) {
    const w = new WindowCounter(cfg.window, cfg.targets, cfg.max_keys, { labels: true });
    super([w]);
    this.w = w;
  }

  onArp(pkt: Packet): void {
    const a = pkt.arp;
    if (!isWhoHasOther(a)) return;
    const now = pkt.ts;
    // Key: the sender; items: the addresses asked for.
    const w = this.w, k = w.observe(senderKey(a, pkt.buf), now, a.targetIp >>> 0);
    targetWords[0] = a.targetIp;
    if (w.wasAdded(k)) {
      w.label(k, 4, targetWords, 0);
      if (this.env.direction(4, ZERO, 0, targetWords, 0) !== "transit") w.markLocalTarget(k);
    }
    if (!w.crossed(k)) return;
    this.alerts++;
    words[0] = a.senderIp;
    const mac = macToString(pkt.buf, a.senderMacOffset);
    const src = a.senderIp !== 0 ? formatIp(4, words) : mac;
    this.emit(scanAlert({
      ts: now,
      detector: "scan.arp_sweep",
      severity: 3,
      signatureId: 1000108,
      signature: `ARP sweep of ${w.distinct(k)} addresses by ${src}`,
      srcIp: src,
      destIp: formatIp(4, targetWords),
      destPort: null,
      proto: "ARP",
      direction: sweepDirection(
        this.env.direction(4, words, 0, targetWords, 0),
        w.hasLocalTarget(k),
      ),
      spoofable: true,
      evidence: {
        probes: w.probes(k),
        distinct_targets: w.distinct(k),
        targets: w.addressSample(k),
        sender_mac: mac,
        ...w.windowEvidence(k, now),
      },
    }));
  }
}
