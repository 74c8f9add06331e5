/**
 * The `[flow]` config section: flow table size and idle timeouts.
 *
 * @module
 */

import { sectionDefaults, type SectionSpec, type SectionValues } from "../config/spec.ts";

/** Declared keys of the `[flow]` section (defaults follow Suricata's flow timeouts). */
export const flowSection = {
  doc: "Flow table: how many connections are tracked at once and when idle ones are forgotten. " +
    "All timeouts run on the packet clock (capture timestamps), so a replayed capture gives " +
    "the same results at any speed.",
  keys: {
    max_flows: {
      type: "integer",
      default: 500_000,
      min: 1_024,
      max: 16_000_000,
      doc: "Hard cap on tracked flows. The table is preallocated (143 bytes per flow, " +
        "so the default holds 72 MB); when it is full the least recently seen flow is " +
        "evicted and counted. Higher keeps more long-lived connections under a flood of " +
        "spoofed sources; lower bounds memory tighter but evicts sooner.",
    },
    unanswered_timeout: {
      type: "duration",
      default: 5,
      min: 0.1,
      max: 600,
      doc: "A connection attempt (TCP SYN or stealth probe, UDP datagram, ICMP echo request) " +
        "with no reply within this time is 'unanswered'. Shorter reports filtered-port scans " +
        "sooner but calls slow servers (long RTT) unanswered; longer is kinder to slow links.",
    },
    tcp_new_timeout: {
      type: "duration",
      default: 60,
      min: 1,
      doc: "Idle timeout of a TCP flow whose handshake has not completed (Suricata: 60 s). " +
        "Shorter frees half-open flows sooner under a SYN flood.",
    },
    tcp_established_timeout: {
      type: "duration",
      default: 600,
      min: 1,
      doc: "Idle timeout of an established TCP flow (Suricata: 600 s). Shorter forgets quiet " +
        "keep-alive connections (they reappear as mid-stream flows); longer holds more memory.",
    },
    tcp_closed_timeout: {
      type: "duration",
      default: 60,
      min: 0,
      doc: "How long a TCP flow is kept after FIN/FIN or RST, to absorb retransmissions " +
        "(Suricata: 60 s). A new SYN on a closed flow starts a new flow at once.",
    },
    udp_new_timeout: {
      type: "duration",
      default: 30,
      min: 1,
      doc: "Idle timeout of a UDP flow seen in one direction only (Suricata: 30 s).",
    },
    udp_established_timeout: {
      type: "duration",
      default: 300,
      min: 1,
      doc: "Idle timeout of a UDP flow with traffic both ways (Suricata: 300 s).",
    },
    icmp_timeout: {
      type: "duration",
      default: 30,
      min: 1,
      doc: "Idle timeout of ICMP flows (echo id pairs and other ICMP messages) (Suricata: 30 s).",
    },
    other_timeout: {
      type: "duration",
      default: 30,
      min: 1,
      doc: "Idle timeout of flows of other IP protocols (GRE, ESP, SCTP, ...).",
    },
  },
} as const satisfies SectionSpec;

/** Validated values of the `[flow]` section. */
export type FlowConfig = SectionValues<typeof flowSection>;

/** The `[flow]` defaults. */
export const defaultFlowConfig: FlowConfig = sectionDefaults(flowSection);
