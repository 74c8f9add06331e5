/**
 * Hand-built alerts for the tests of `actions/` policy, suppression and notifiers.
 *
 * @module
 */

import type { Alert } from "../../detect/alert.ts";

/** A medium-severity TCP port scan alert; fields can be overridden. */
export function makeAlert(over: Partial<Alert> = {}): Alert {
  return {
    ts: 1796412668.123456,
    detector: "scan.port",
    category: "scan",
    severity: 2,
    signatureId: 1000101,
    signature: "TCP port scan of 10.200.0.1 by 10.200.0.2",
    srcIp: "10.200.0.2",
    srcPort: 40100,
    destIp: "10.200.0.1",
    destPort: 22,
    proto: "TCP",
    direction: "inbound",
    offender: "10.200.0.2",
    spoofable: false,
    evidence: { ports: [21, 22, 23, 80], probes: 25 },
    process: null,
    ...over,
  };
}
