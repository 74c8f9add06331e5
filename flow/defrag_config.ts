/**
 * The `[defrag]` config section: limits and policy of IP fragment reassembly
 * ({@link ../flow/defrag.ts}).
 *
 * @module
 */

import type { SectionSpec, SectionValues } from "../config/spec.ts";

/** How overlapping fragments are resolved: see {@link defragSection}. */
export const OVERLAP_POLICIES = ["linux", "first", "drop_conflict"] as const;

/** One of {@link OVERLAP_POLICIES}. */
export type OverlapPolicy = typeof OVERLAP_POLICIES[number];

/** Declaration of the `[defrag]` section. */
export const defragSection = {
  doc: "IP fragment reassembly (IPv4 and IPv6). Fragments are held until the datagram is " +
    "complete, then the whole datagram is decoded like any other packet.",
  keys: {
    timeout: {
      type: "duration",
      default: 60,
      min: 1,
      max: 600,
      doc: "How long a datagram may wait for its missing fragments, counted from its first " +
        "fragment (Suricata uses 60s, Linux ipfrag_time 30s). Longer keeps slow senders' " +
        "datagrams but lets an attacker hold memory longer with fragments that never complete.",
    },
    max_datagrams: {
      type: "integer",
      default: 8192,
      min: 1,
      max: 1048576,
      doc: "Datagrams in reassembly at once; when full the oldest is evicted. Higher survives " +
        "bursts of fragmented traffic but costs memory (about 1.3 KiB each, plus the " +
        "fragment bytes and 0.25 KiB per fragment).",
    },
    max_fragments: {
      type: "integer",
      default: 256,
      min: 1,
      max: 8192,
      doc: "Fragments accepted per datagram (duplicates included) before it is discarded. " +
        "Ordinary senders need at most 45 (64 KiB over a 1500-byte MTU); a high count is an " +
        "attack that makes reassembly slow (each fragment is compared with those held).",
    },
    memory_cap: {
      type: "integer",
      default: 33554432,
      min: 1048576, // room for a dozen 64 KiB datagrams: below that large ones never complete
      max: 4294967296,
      doc: "Bytes held for datagrams in reassembly (fragment copies plus bookkeeping); beyond " +
        "it the oldest datagrams are evicted (Suricata defrag.memcap is 32 MiB, Linux " +
        "ipfrag_high_thresh 4 MiB). Lower bounds memory under fragment floods but evicts " +
        "legitimate datagrams sooner.",
    },
    overlap_policy: {
      type: "string",
      default: "linux",
      choices: OVERLAP_POLICIES,
      doc: 'Fragments that overlap bytes already held: "linux" (what the defended Linux ' +
        "host does since 4.19, and RFC 5722 for IPv6): a fragment wholly inside held bytes is " +
        "ignored, any other overlap discards the datagram; " +
        '"first": the earliest bytes win and new bytes only fill holes (BSD, Suricata ' +
        '"first"), nothing is discarded; "drop_conflict": as "first", but overlapping bytes ' +
        "that differ (teardrop-style evasion) discard the datagram. Every overlap is counted.",
    },
  },
} as const satisfies SectionSpec;

/** Validated values of the `[defrag]` section. */
export type DefragConfig = SectionValues<typeof defragSection>;
