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
import { evidenceTime, scanAlert, sweepDirection } from "./_alert.ts";
import { addressSample, sampleAddress, ScanWindow } from "./_scan_window.ts";
import type { Detector, DetectorDefinition, DetectorEnv } from "./detector.ts";

const section = {
  doc: "ARP sweep: who-has requests from one sender for many addresses within a window. " +
    "Severity 3, signature_id 1000108.",
  keys: {
    enabled: { type: "boolean", default: true, doc: "Run this detector." },
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
const ZERO = new Uint32Array(4);

class ArpSweepDetector implements Detector {
  private readonly w: ScanWindow;
  private alerts = 0;

  constructor(
    cfg: SectionValues<typeof section>,
    private readonly emit: (a: Alert) => void,
    private readonly env: DetectorEnv,
  ) {
    this.w = new ScanWindow(cfg.window, cfg.targets, cfg.max_keys);
  }

  onArp(pkt: Packet): void {
    const a = pkt.arp;
    if (a.op !== 1 || a.protocolType !== 0x0800 || a.protocolLen !== 4) return;
    if (a.senderIp === a.targetIp) return;
    const buf = pkt.buf, m = a.senderMacOffset;
    // Key: the sender address, or (for 0.0.0.0) 2^32 + the low 40 bits of the MAC's mix.
    const key = a.senderIp !== 0 ? a.senderIp >>> 0 : 4294967296 +
      ((buf[m + 1]! << 24 | buf[m + 2]! << 16 | buf[m + 3]! << 8 | buf[m + 4]!) >>> 0) * 256 +
      buf[m + 5]! + buf[m]! * 1099511627776;
    const now = pkt.ts;
    const s = this.w.observe(key, now, a.targetIp >>> 0);
    if (s.fresh) s.fam = 4;
    targetWords[0] = a.targetIp;
    if (s.added) sampleAddress(s, 4, targetWords, 0);
    // extra[7]: a swept address is this host's (the sweep is then inbound).
    if (s.added && this.env.direction(4, ZERO, 0, targetWords, 0) !== "transit") s.extra[7] = 1;
    if (!this.w.crossed(s)) return;
    this.alerts++;
    words[0] = a.senderIp;
    const mac = macToString(buf, m);
    const src = a.senderIp !== 0 ? formatIp(4, words) : mac;
    this.emit(scanAlert({
      ts: now,
      detector: "scan.arp_sweep",
      severity: 3,
      signatureId: 1000108,
      signature: `ARP sweep of ${s.distinct.size} addresses by ${src}`,
      srcIp: src,
      destIp: formatIp(4, targetWords),
      destPort: null,
      proto: "ARP",
      direction: sweepDirection(this.env.direction(4, words, 0, targetWords, 0), s.extra[7] === 1),
      spoofable: true,
      evidence: {
        probes: s.probes,
        distinct_targets: s.distinct.size,
        targets: addressSample(s.sample),
        sender_mac: mac,
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
