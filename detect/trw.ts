/**
 * `scan.trw`: Threshold Random Walk scan detection (Jung, Paxson, Berger, Balakrishnan,
 * "Fast Portscan Detection Using Sequential Hypothesis Testing", IEEE S&P 2004).
 *
 * Each source's *first contacts* are Bernoulli trials: a benign source's contact succeeds
 * with probability θ0, a scanner's with θ1 < θ0. The likelihood ratio Λ = Π P(Yi|H1)/P(Yi|H0)
 * is multiplied per outcome by θ1/θ0 (success) or (1−θ1)/(1−θ0) (failure). With the wanted
 * detection probability PD and false positive probability PF, Λ ≥ η1 = PD/PF says scanner,
 * Λ ≤ η0 = (1−PD)/(1−PF) says benign. The walk is kept in natural logarithms.
 *
 * First contact (our choice, documented in the config): the first resolved connection
 * attempt from the source to a (destination host, destination port, protocol), by default,
 * so that vertical scans of one host are walked too; `first_contact = "host"` is the paper's
 * per-host definition. Outcomes: TCP answered (SYN-ACK) is a success; refused (RST),
 * unanswered and ICMP-unreachable are failures. UDP: answered is a success, refused by ICMP
 * port unreachable (or unreachable) a failure; unanswered UDP is not counted (many UDP
 * services never reply). ICMP is not walked (see `scan.icmp_sweep`).
 *
 * After a benign decision the walk restarts from Λ = 1 (a benign source that later starts
 * scanning is still caught); after a scanner decision the source alerts once and stays
 * flagged until it has been idle for `idle_timeout`.
 *
 * @module
 */

import type { SectionSpec, SectionValues } from "../config/spec.ts";
import { addressKey, formatIp, isMulticastOrBroadcast, pairKey } from "../flow/address.ts";
import { isFailedOutcome, Outcome, type OutcomeCode } from "../flow/table.ts";
import type { FlowTable } from "../flow/table.ts";
import type { Alert } from "./alert.ts";
import { evidenceTime, protoName, scanAlert } from "./_alert.ts";
import { ItemLists } from "./_item_lists.ts";
import { ItemSets } from "./_item_sets.ts";
import { KeySlots } from "./_key_slots.ts";
import { enabledKey, SAMPLE_MAX, sortedSample } from "./_window_counter.ts";
import type { Detector, DetectorDefinition, DetectorEnv } from "./detector.ts";

/** Log-likelihood thresholds of a sequential test with detection and false positive probabilities. */
export function trwLogThresholds(pd: number, pf: number): { upper: number; lower: number } {
  return { upper: Math.log(pd / pf), lower: Math.log((1 - pd) / (1 - pf)) };
}

/** The log-likelihood step of one outcome: success ln(θ1/θ0), failure ln((1−θ1)/(1−θ0)). */
export function trwLogStep(theta0: number, theta1: number, failed: boolean): number {
  return failed ? Math.log((1 - theta1) / (1 - theta0)) : Math.log(theta1 / theta0);
}

/** Most outcomes kept in the evidence's decision path. */
const OUTCOME_PATH_MAX = 64;

const section = {
  doc: "Threshold Random Walk (Jung et al. 2004) on the outcomes of each source's first " +
    "contacts: a few failed first contacts in a row flag a scanner. Severity 2 (medium), " +
    "signature_id 1000101.",
  keys: {
    enabled: enabledKey,
    theta0: {
      type: "number",
      default: 0.8,
      min: 0.01,
      max: 0.99,
      doc: "Probability that a benign source's first contact succeeds. Must exceed theta1. " +
        "Lower tolerates more failures from benign hosts (fewer false positives, slower " +
        "detection).",
    },
    theta1: {
      type: "number",
      default: 0.2,
      min: 0.01,
      max: 0.99,
      doc: "Probability that a scanner's first contact succeeds. Higher makes each failure " +
        "weigh less (slower detection, fewer false positives).",
    },
    detection_probability: {
      type: "number",
      default: 0.99,
      min: 0.5,
      max: 0.99999,
      doc: "Target detection probability PD. With PF it sets the scanner threshold " +
        "ln(PD/PF): higher PD/lower PF need more failures before an alert.",
    },
    false_positive_probability: {
      type: "number",
      default: 0.01,
      min: 0.00001,
      max: 0.5,
      doc: "Target false positive probability PF. Lower needs more failed first contacts " +
        "(defaults: 4 failures in a row flag a scanner).",
    },
    first_contact: {
      type: "string",
      default: "host_port",
      choices: ["host_port", "host"],
      doc: "What a first contact is: 'host_port' (each destination host, port and protocol: " +
        "vertical scans of one host are walked too) or 'host' (each destination host, the " +
        "paper's definition: fewer false positives from clients retrying one server on " +
        "several ports, but a scan of one host is left to scan.port).",
    },
    idle_timeout: {
      type: "duration",
      default: 600,
      min: 1,
      doc: "A source's walk is forgotten after this much inactivity (and may then alert " +
        "again). Longer catches slower scanners, holds more state.",
    },
    max_sources: {
      type: "integer",
      default: 5_000,
      min: 16,
      doc: "Most sources tracked at once; the least recently active is evicted (counted). " +
        "Bounds memory under floods of spoofed sources (about 3 KB each at most: 64 contacts and 20-entry samples).",
    },
    max_contacts: {
      type: "integer",
      default: 64,
      min: 8,
      doc: "Most distinct first contacts remembered per source; when full the memory is " +
        "cleared (a later repeat contact counts as first again). Higher is more exact, " +
        "costs 16+ bytes per contact.",
    },
  },
} as const satisfies SectionSpec;

/** The `scan.trw` detector definition. */
export const trwDetector: DetectorDefinition<typeof section> = {
  name: "scan.trw",
  signatureId: 1000101,
  defaults: section,
  create(config, emit, env) {
    return new TrwDetector(config, emit, env);
  },
};

/** Label words of a sampled host: family and four address words. */
const HOST_LABEL = 5;

// Fields of a source's record (doubles at `s * RECORD + field`). What a repeat contact reads
// comes first, in the record's first cache lines: whether the source alerted, and its first
// contacts while they are few (INLINE_CONTACTS of them; CONTACTS is how many, or -1 once they
// moved to the ItemSets). A source's record is cold when its next attempt comes, thousands
// of packets later; with the contacts in a pool of their own, each attempt read one more cold
// line (measured about 12 ns a packet of the full pipeline).
const ALERTED = 0,
  CONTACTS = 1,
  INLINE = 2,
  INLINE_CONTACTS = 14,
  FIRST_TS = 16,
  LLR = 17,
  FAILURES = 18,
  SUCCESSES = 19,
  BENIGN_DECISIONS = 20,
  PATH_HIGH = 21,
  PATH_LOW = 22,
  PATH_LENGTH = 23,
  RECORD = 24;

/**
 * Per-source state in one record of doubles per slot of {@link KeySlots} (a contact reads
 * and writes one or two cache lines, not one per field): nothing is allocated per source.
 * The decision path is a 64-bit shift register of outcomes (1 failed) in two 32-bit halves.
 */
class TrwDetector implements Detector {
  private readonly slots: KeySlots;
  private readonly rec: Float64Array;
  /**
   * First contacts remembered beyond the record's INLINE_CONTACTS (cleared when `max_contacts`
   * is reached).
   */
  private readonly contacts: ItemSets;
  private readonly maxContacts: number;
  /** Samples: distinct hosts (by address key, with the address as label) and ports. */
  private readonly hosts: ItemLists;
  private readonly ports: ItemLists;
  private readonly up: number;
  private readonly down: number;
  private readonly fail: number;
  private readonly succeed: number;
  private readonly perHost: boolean;
  private alerts = 0;

  constructor(
    private readonly cfg: SectionValues<typeof section>,
    private readonly emit: (a: Alert) => void,
    private readonly env: DetectorEnv,
  ) {
    const t = trwLogThresholds(cfg.detection_probability, cfg.false_positive_probability);
    this.up = t.upper;
    this.down = t.lower;
    this.fail = trwLogStep(cfg.theta0, cfg.theta1, true);
    this.succeed = trwLogStep(cfg.theta0, cfg.theta1, false);
    this.perHost = cfg.first_contact === "host";
    const n = cfg.max_sources;
    this.slots = new KeySlots(n, cfg.idle_timeout);
    this.rec = new Float64Array(n * RECORD);
    this.contacts = new ItemSets(n, cfg.max_contacts);
    this.maxContacts = cfg.max_contacts;
    this.hosts = new ItemLists(n, HOST_LABEL);
    this.ports = new ItemLists(n);
  }

  onAttempt(t: FlowTable, f: number, outcome: OutcomeCode, now: number): void {
    const proto = t.proto[f]!;
    let failed: boolean;
    if (proto === 6) failed = isFailedOutcome(outcome);
    else if (proto === 17) {
      if (outcome === Outcome.unanswered) return;
      failed = isFailedOutcome(outcome);
    } else return;
    const fam = t.family[f]!, b = f * 4;
    if (isMulticastOrBroadcast(fam, t.addrR, b)) return;
    const key = addressKey(fam, t.addrI, b);
    let s = this.slots.find(key, now);
    if (s < 0) {
      s = this.slots.insert(key, now);
      this.startWalk(s, now);
    }
    this.slots.seen(s, now);
    const r = this.rec, at = s * RECORD;
    if (r[at + ALERTED] === 1) return;
    const contact = pairKey(
      fam,
      t.addrI,
      b,
      t.addrR,
      b,
      this.perHost ? 0 : t.portR[f]! | (proto << 16),
    );
    if (!this.firstContact(s, at, contact)) return;
    if (failed) r[at + FAILURES] = r[at + FAILURES]! + 1;
    else r[at + SUCCESSES] = r[at + SUCCESSES]! + 1;
    r[at + LLR] = r[at + LLR]! + (failed ? this.fail : this.succeed);
    this.recordOutcome(s, failed);
    this.sampleContact(s, fam, t.addrR, b, t.portR[f]!);
    const llr = r[at + LLR]!;
    if (llr >= this.up) {
      r[at + ALERTED] = 1;
      this.alerts++;
      const src = formatIp(fam, t.addrI, b);
      const failures = r[at + FAILURES]!, successes = r[at + SUCCESSES]!;
      this.emit(scanAlert({
        ts: now,
        detector: "scan.trw",
        severity: 2,
        signatureId: 1000101,
        signature: `${protoName(proto, fam)} scan by ${src} (TRW: ${failures} failed of ${
          failures + successes
        } first contacts)`,
        srcIp: src,
        destIp: formatIp(fam, t.addrR, b),
        destPort: null,
        proto: protoName(proto, fam),
        direction: this.env.direction(fam, t.addrI, b, t.addrR, b),
        // A scanner's probes can be sent with a forged source; successes mean it received
        // answers, which a spoofer does not.
        spoofable: successes === 0,
        evidence: {
          log_likelihood: round(llr),
          threshold: round(this.up),
          benign_threshold: round(this.down),
          decision_path: this.decisionPath(s),
          first_contacts: failures + successes,
          failures,
          successes,
          benign_decisions: r[at + BENIGN_DECISIONS]!,
          first_contact: this.cfg.first_contact,
          hosts: sortedSample(this.hostSample(s)),
          ports: sortedSample(this.ports.entries(s).map((e) => this.ports.item(e))),
          first: evidenceTime(r[at + FIRST_TS]!),
          last: evidenceTime(now),
          last_outcome: outcome === Outcome.refused
            ? "refused"
            : outcome === Outcome.unanswered
            ? "unanswered"
            : outcome === Outcome.unreachable
            ? "unreachable"
            : "answered",
        },
      }));
    } else if (llr <= this.down) {
      // Benign decision: restart the walk.
      r[at + LLR] = 0;
      r[at + BENIGN_DECISIONS] = r[at + BENIGN_DECISIONS]! + 1;
    }
  }

  /**
   * Remembers `contact` as one of the source's first contacts; false when it was one already.
   * At most `max_contacts` are remembered: when that many are, a new one clears the memory
   * (a later repeat counts as first again). The first INLINE_CONTACTS sit in the record.
   */
  private firstContact(s: number, at: number, contact: number): boolean {
    const r = this.rec, n = r[at + CONTACTS]!;
    if (n >= 0) {
      for (let i = at + INLINE; i < at + INLINE + n; i++) if (r[i] === contact) return false;
      if (n < this.maxContacts) {
        if (n < INLINE_CONTACTS) {
          r[at + INLINE + n] = contact;
          r[at + CONTACTS] = n + 1;
          return true;
        }
        // More than the record holds: every contact moves to the set.
        const sets = this.contacts;
        sets.clear(s);
        for (let i = at + INLINE; i < at + INLINE + n; i++) sets.add(s, r[i]!);
        r[at + CONTACTS] = -1;
        return sets.add(s, contact);
      }
    } else {
      const sets = this.contacts;
      if (sets.count(s) < this.maxContacts) return sets.add(s, contact);
      if (sets.has(s, contact)) return false;
      sets.clear(s);
    }
    // Full: forget them all and start again from this one.
    r[at + INLINE] = contact;
    r[at + CONTACTS] = 1;
    return true;
  }

  /** A new source's state in slot `s` (which may hold an evicted source's). */
  private startWalk(s: number, now: number): void {
    this.rec.fill(0, s * RECORD, s * RECORD + RECORD);
    this.rec[s * RECORD + FIRST_TS] = now;
    this.contacts.clear(s);
    this.hosts.clear(s);
    this.ports.clear(s);
  }

  /** Shifts an outcome into the decision path (the last {@link OUTCOME_PATH_MAX} are kept). */
  private recordOutcome(s: number, failed: boolean): void {
    const r = this.rec, b = s * RECORD, low = r[b + PATH_LOW]!;
    r[b + PATH_HIGH] = ((r[b + PATH_HIGH]! << 1) | (low >>> 31)) >>> 0;
    r[b + PATH_LOW] = ((low << 1) | (failed ? 1 : 0)) >>> 0;
    if (r[b + PATH_LENGTH]! < OUTCOME_PATH_MAX) r[b + PATH_LENGTH] = r[b + PATH_LENGTH]! + 1;
  }

  /** The decision path as text, oldest first: F failed, S succeeded. */
  private decisionPath(s: number): string {
    let path = "";
    const r = this.rec, at = s * RECORD;
    for (let i = r[at + PATH_LENGTH]! - 1; i >= 0; i--) {
      const bit = i < 32 ? r[at + PATH_LOW]! >>> i : r[at + PATH_HIGH]! >>> (i - 32);
      path += (bit & 1) === 1 ? "F" : "S";
    }
    return path;
  }

  /** Adds the contacted host and port to the samples (first {@link SAMPLE_MAX} distinct). */
  private sampleContact(s: number, fam: number, words: Uint32Array, b: number, port: number) {
    const hosts = this.hosts, ports = this.ports;
    if (hosts.count(s) < SAMPLE_MAX) {
      const host = addressKey(fam, words, b);
      if (!hosts.has(s, host)) {
        const l = hosts.labels, at = hosts.push(s, host) * HOST_LABEL;
        l[at] = fam;
        for (let i = 0; i < 4; i++) l[at + 1 + i] = words[b + i]!;
      }
    }
    if (ports.count(s) < SAMPLE_MAX && !ports.has(s, port)) ports.push(s, port);
  }

  /** The sampled hosts as text. */
  private hostSample(s: number): string[] {
    const l = this.hosts.labels;
    return this.hosts.entries(s).map((e) => formatIp(l[e * HOST_LABEL]!, l, e * HOST_LABEL + 1));
  }

  tick(now: number): void {
    this.slots.expire(now);
  }

  stats() {
    return { tracked: this.slots.size, evictions: this.slots.evictions, alerts: this.alerts };
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
