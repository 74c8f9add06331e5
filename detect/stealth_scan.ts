/**
 * `scan.stealth`: probes with TCP flag combinations that no normal stack sends to open or
 * use a connection: NULL (no flags), FIN alone, XMAS (FIN+PSH+URG), SYN+FIN, SYN+RST — these
 * are counted whenever they are seen ("strong" kinds); and nmap's Maimon probe (FIN+ACK) and
 * the ACK-scan probe (a bare ACK without payload), counted only when they start a flow (no
 * connection known) — "weak" kinds, because a capture that starts mid-connection also sees
 * ACKs and FIN+ACKs without a known flow, hence their higher threshold and per-host count.
 * Every alert is spoofable: these are single forged-able packets. Severity 2,
 * signature_id 1000105.
 *
 * @module
 */

import { type Packet, TcpFlag } from "../decode/packet.ts";
import type { SectionSpec, SectionValues } from "../config/spec.ts";
import { addressKey, formatIp, pairKey } from "../flow/address.ts";
import type { FlowTable } from "../flow/table.ts";
import type { Alert } from "./alert.ts";
import { scanAlert } from "./_alert.ts";
import { enabledKey, maxKeysKey, WindowCounter, WindowedDetector } from "./_window_counter.ts";
import type { DetectorDefinition, DetectorEnv } from "./detector.ts";

/** Stealth probe kinds, as evidence names them; index = kind code. */
export const STEALTH_KINDS = [
  "null",
  "fin",
  "xmas",
  "syn_fin",
  "syn_rst",
  "maimon",
  "ack",
] as const;

const F = TcpFlag.fin,
  S = TcpFlag.syn,
  R = TcpFlag.rst,
  P = TcpFlag.psh,
  A = TcpFlag.ack,
  U = TcpFlag.urg;

/**
 * Classifies TCP flags as a stealth probe kind (index into {@link STEALTH_KINDS}), or -1.
 * `startsFlow`: the packet created its flow (no connection was known). `payloadLen` matters
 * for the ACK probe only.
 */
export function stealthKind(flags: number, startsFlow: boolean, payloadLen: number): number {
  const core = flags & (F | S | R | P | A | U);
  if ((core & (S | R)) === (S | R)) return 4;
  if ((core & (S | F)) === (S | F)) return 3;
  if (core === 0) return 0;
  if ((core & (F | P | U)) === (F | P | U) && (core & (S | R | A)) === 0) return 2;
  if ((core & (S | R | A)) === 0 && (core & F) !== 0) return 1;
  if (!startsFlow) return -1;
  if (core === (F | A)) return 5;
  if (core === A && payloadLen === 0) return 6;
  return -1;
}

const section = {
  doc: "Stealth scans: TCP probes with flag combinations no normal stack sends (NULL, FIN, " +
    "XMAS, SYN+FIN, SYN+RST), and FIN+ACK (Maimon) or bare ACK probes that start no known " +
    "connection. Severity 2, signature_id 1000105; always spoofable.",
  keys: {
    enabled: enabledKey,
    probes: {
      type: "integer",
      default: 3,
      min: 1,
      doc: "Distinct (host, port) targets of NULL/FIN/XMAS/SYN+FIN/SYN+RST probes from one " +
        "source that make an alert. These never occur in normal traffic, so the threshold " +
        "is small; 1 alerts on a single odd packet (corrupt packets then raise alerts).",
    },
    weak_probes: {
      type: "integer",
      default: 10,
      min: 2,
      doc: "Distinct ports of one host hit by flow-less FIN+ACK or bare ACK probes from one " +
        "source that make an alert. Captures that start mid-connection see such packets " +
        "(one per open connection), so lower values raise false positives on busy hosts.",
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

/** The `scan.stealth` detector definition. */
export const stealthScanDetector: DetectorDefinition<typeof section> = {
  name: "scan.stealth",
  signatureId: 1000105,
  defaults: section,
  create(config, emit, env) {
    return new StealthScanDetector(config, emit, env);
  },
};

/** Strong kinds (NULL, FIN, XMAS, SYN+FIN, SYN+RST) never occur in normal traffic. */
function isStrongKind(kind: number): boolean {
  return kind <= 4;
}

class StealthScanDetector extends WindowedDetector {
  /**
   * Only TCP packets that start a flow, lack ACK, or carry SYN with FIN or RST can be probes
   * ({@link stealthKind} gives -1 for the rest).
   */
  readonly unusualTcpOnly = true;
  /** Strong probes: key the prober; items its (host, port) targets. */
  private readonly strong: WindowCounter;
  /** Weak probes: key the (prober, host) pair; items the host's ports. */
  private readonly weak: WindowCounter;

  constructor(
    cfg: SectionValues<typeof section>,
    private readonly emit: (a: Alert) => void,
    private readonly env: DetectorEnv,
  ) {
    const kinds = { tallies: STEALTH_KINDS.length };
    const strong = new WindowCounter(cfg.window, cfg.probes, cfg.max_keys, {
      ...kinds,
      labels: true,
    });
    const weak = new WindowCounter(cfg.window, cfg.weak_probes, cfg.max_keys, kinds);
    super([strong, weak]);
    this.strong = strong;
    this.weak = weak;
  }

  onPacket(t: FlowTable, f: number, pkt: Packet, fromInitiator: boolean, isNew: boolean): void {
    if (t.proto[f] !== 6) return;
    const flags = pkt.tcp.flags;
    // Fast exit for the ordinary: ACK set without SYN/RST/FIN on a known flow.
    if (!isNew && (flags & (A | S | R | F)) === A) return;
    const kind = stealthKind(flags, isNew, pkt.payloadLen);
    if (kind < 0) return;
    const fam = t.family[f]!, b = f * 4;
    // The prober is the packet's sender.
    const srcW = fromInitiator ? t.addrI : t.addrR, dstW = fromInitiator ? t.addrR : t.addrI;
    const dport = fromInitiator ? t.portR[f]! : t.portI[f]!;
    const now = pkt.ts;
    let w: WindowCounter, k: number;
    if (isStrongKind(kind)) {
      w = this.strong;
      k = w.observe(addressKey(fam, srcW, b), now, pairKey(fam, dstW, b, dstW, b, dport));
      if (w.wasAdded(k)) w.label(k, fam, dstW, b, dport);
    } else {
      w = this.weak;
      k = w.observe(pairKey(fam, srcW, b, dstW, b, 6), now, dport);
    }
    w.tally(k, kind);
    if (!w.crossed(k)) return;
    this.alerts++;
    const src = formatIp(fam, srcW, b), dst = formatIp(fam, dstW, b);
    const kinds: { [k: string]: number } = {};
    for (let i = 0; i < STEALTH_KINDS.length; i++) {
      if (w.tallyOf(k, i) > 0) kinds[STEALTH_KINDS[i]!] = w.tallyOf(k, i);
    }
    const names = Object.keys(kinds).map((name) => name.toUpperCase()).join("/");
    this.emit(scanAlert({
      ts: now,
      detector: "scan.stealth",
      severity: 2,
      signatureId: 1000105,
      signature: `TCP ${names} stealth scan by ${src}`,
      srcIp: src,
      destIp: dst,
      destPort: null,
      proto: "TCP",
      direction: this.env.direction(fam, srcW, b, dstW, b),
      spoofable: true,
      evidence: {
        probes: w.probes(k),
        kinds,
        distinct_targets: w.distinct(k),
        targets: w === this.strong ? w.endpointSample(k) : w.itemSample(k),
        ...w.windowEvidence(k, now),
      },
    }));
  }
}
