/**
 * The `Alert`: the only thing detectors emit, and what `actions/` consumes.
 *
 * @module
 */

/** Alert families; the first word of every detector name matches one (`scan.port`). */
export type AlertCategory = "scan" | "attack" | "exfiltration" | "anomaly";

/** Suricata's convention: 1 high, 2 medium, 3 low. */
export type Severity = 1 | 2 | 3;

/** Which way the offending traffic goes relative to this host. */
export type Direction = "inbound" | "outbound" | "local" | "transit";

/** The local process behind a flow (exfiltration detectors fill it in; null when unknown). */
export interface ProcessInfo {
  pid: number;
  name: string;
  cmdline: string;
  uid: number | null;
}

/** JSON-safe evidence value. */
export type Evidence = string | number | boolean | null | Evidence[] | { [key: string]: Evidence };

/** One detection. Plain data, JSON-safe, immutable once emitted. */
export interface Alert {
  /** Capture time of the packet that completed the detection, seconds since the epoch. */
  readonly ts: number;
  /** Dotted detector name; first word is the family: `scan.*`, `attack.*`, `exfil.*`, `anomaly.*`. */
  readonly detector: string;
  readonly category: AlertCategory;
  readonly severity: Severity;
  /** Stable numeric id per detector and variant (1000000 + ...), as Suricata's signature_id. */
  readonly signatureId: number;
  /** One human sentence: "TCP port scan of 10.200.0.1 by 10.200.0.2". */
  readonly signature: string;
  readonly srcIp: string;
  readonly srcPort: number | null;
  readonly destIp: string;
  readonly destPort: number | null;
  /** "TCP", "UDP", "ICMP", "IPv6-ICMP", "ARP", ... */
  readonly proto: string;
  readonly direction: Direction;
  /** The address a ban or block would act on (the scanner, the attacker, the exfil server). */
  readonly offender: string;
  /**
   * True when the evidence could be forged by spoofed single packets (stealth-flag probes,
   * unanswered SYNs): the default policy does not ban on such alerts alone.
   */
  readonly spoofable: boolean;
  /** Detector-specific explanation: counts, samples, first/last time, decision path. */
  readonly evidence: { readonly [key: string]: Evidence };
  readonly process: ProcessInfo | null;
}
