/**
 * Every scan detector and its config section (`[scan.trw]`, `[scan.port]`, ...).
 *
 * @module
 */

import type { SectionSpec } from "../config/spec.ts";
import { arpSweepDetector } from "./arp_sweep.ts";
import type { DetectorDefinition } from "./detector.ts";
import { distributedScanDetector } from "./distributed_scan.ts";
import { hostScanDetector } from "./host_scan.ts";
import { icmpSweepDetector } from "./icmp_sweep.ts";
import { portScanDetector } from "./port_scan.ts";
import { stealthScanDetector } from "./stealth_scan.ts";
import { trwDetector } from "./trw.ts";
import { udpScanDetector } from "./udp_scan.ts";

/** All scan detectors, in the order the engine runs them. */
export const scanDetectors: readonly DetectorDefinition[] = [
  trwDetector,
  portScanDetector,
  hostScanDetector,
  distributedScanDetector,
  stealthScanDetector,
  udpScanDetector,
  icmpSweepDetector,
  arpSweepDetector,
] as unknown as readonly DetectorDefinition[];

/** Config sections of the scan detectors, by section name (= detector name). */
export const scanSections: Readonly<Record<string, SectionSpec>> = Object.freeze(
  Object.fromEntries(scanDetectors.map((d) => [d.name, d.defaults])),
);
