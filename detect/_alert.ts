/**
 * Building scan alerts (cold path: strings are made here only).
 *
 * @module
 */

import type { Alert, Direction, Evidence, Severity } from "./alert.ts";

/** Protocol names as in EVE. */
export function protoName(proto: number, fam: number): string {
  if (proto === 6) return "TCP";
  if (proto === 17) return "UDP";
  if (proto === 1) return "ICMP";
  if (proto === 58) return "IPv6-ICMP";
  if (proto === 0 && fam === 0) return "ARP";
  return String(proto);
}

/** ISO-free time in evidence: seconds with microseconds, as the packet clock gives them. */
export function evidenceTime(ts: number): number {
  return Math.round(ts * 1e6) / 1e6;
}

/** Fields of a scan alert. */
export interface ScanAlertFields {
  ts: number;
  detector: string;
  severity: Severity;
  signatureId: number;
  signature: string;
  srcIp: string;
  destIp: string;
  destPort: number | null;
  proto: string;
  direction: Direction;
  spoofable: boolean;
  evidence: { [key: string]: Evidence };
}

/** A frozen `scan` alert whose offender is the source. */
export function scanAlert(f: ScanAlertFields): Alert {
  return Object.freeze({
    ts: f.ts,
    detector: f.detector,
    category: "scan",
    severity: f.severity,
    signatureId: f.signatureId,
    signature: f.signature,
    srcIp: f.srcIp,
    srcPort: null,
    destIp: f.destIp,
    destPort: f.destPort,
    proto: f.proto,
    direction: f.direction,
    offender: f.srcIp,
    spoofable: f.spoofable,
    evidence: f.evidence,
    process: null,
  });
}

/**
 * Direction of a sweep across many targets: from the offender and the last target, made
 * `inbound` when the offender is not local but some swept target was this host.
 */
export function sweepDirection(last: Direction, sweptLocal: boolean): Direction {
  if (last === "transit" && sweptLocal) return "inbound";
  if (last === "outbound" && sweptLocal) return "local";
  return last;
}
