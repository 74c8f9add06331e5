/**
 * Detection: the engine, the detector contract, and the scan detectors.
 *
 * @module
 */

export * from "./engine.ts";
export * from "./detector.ts";
export * from "./config.ts";
export { trwDetector, trwLogStep, trwLogThresholds } from "./trw.ts";
export { portScanDetector } from "./port_scan.ts";
export { hostScanDetector } from "./host_scan.ts";
export { distributedScanDetector } from "./distributed_scan.ts";
export { STEALTH_KINDS, stealthKind, stealthScanDetector } from "./stealth_scan.ts";
export { udpScanDetector } from "./udp_scan.ts";
export { icmpSweepDetector } from "./icmp_sweep.ts";
export { arpSweepDetector } from "./arp_sweep.ts";
