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
import { KeyedStates } from "./_keyed_states.ts";
import { SAMPLE_MAX, sortedSample } from "./_scan_window.ts";
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
    enabled: { type: "boolean", default: true, doc: "Run this detector." },
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

interface TrwState {
  lastTs: number;
  movedTs: number;
  firstTs: number;
  llr: number;
  path: string;
  contacts: Set<number>;
  failures: number;
  successes: number;
  benignDecisions: number;
  alerted: boolean;
  hosts: string[];
  ports: number[];
}

/** The `scan.trw` detector definition. */
export const trwDetector: DetectorDefinition<typeof section> = {
  name: "scan.trw",
  signatureId: 1000101,
  defaults: section,
  create(config, emit, env) {
    return new TrwDetector(config, emit, env);
  },
};

class TrwDetector implements Detector {
  private readonly states: KeyedStates<TrwState>;
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
    this.states = new KeyedStates(cfg.max_sources, cfg.idle_timeout);
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
    let s = this.states.get(key, now);
    if (s === undefined) {
      s = {
        lastTs: now,
        movedTs: now,
        firstTs: now,
        llr: 0,
        path: "",
        contacts: new Set(),
        failures: 0,
        successes: 0,
        benignDecisions: 0,
        alerted: false,
        hosts: [],
        ports: [],
      };
      this.states.set(key, s);
    }
    s.lastTs = now;
    if (s.alerted) return;
    const contact = pairKey(
      fam,
      t.addrI,
      b,
      t.addrR,
      b,
      this.perHost ? 0 : t.portR[f]! | (proto << 16),
    );
    if (s.contacts.has(contact)) return;
    if (s.contacts.size >= this.cfg.max_contacts) s.contacts.clear();
    s.contacts.add(contact);
    if (failed) s.failures++;
    else s.successes++;
    s.llr += failed ? this.fail : this.succeed;
    s.path = (s.path + (failed ? "F" : "S")).slice(-OUTCOME_PATH_MAX);
    if (s.hosts.length < SAMPLE_MAX) {
      const h = formatIp(fam, t.addrR, b);
      if (!s.hosts.includes(h)) s.hosts.push(h);
    }
    if (s.ports.length < SAMPLE_MAX && !s.ports.includes(t.portR[f]!)) s.ports.push(t.portR[f]!);
    if (s.llr >= this.up) {
      s.alerted = true;
      this.alerts++;
      const src = formatIp(fam, t.addrI, b);
      this.emit(scanAlert({
        ts: now,
        detector: "scan.trw",
        severity: 2,
        signatureId: 1000101,
        signature: `${protoName(proto, fam)} scan by ${src} (TRW: ${s.failures} failed of ${
          s.failures + s.successes
        } first contacts)`,
        srcIp: src,
        destIp: formatIp(fam, t.addrR, b),
        destPort: null,
        proto: protoName(proto, fam),
        direction: this.env.direction(fam, t.addrI, b, t.addrR, b),
        // A scanner's probes can be sent with a forged source; successes mean it received
        // answers, which a spoofer does not.
        spoofable: s.successes === 0,
        evidence: {
          log_likelihood: round(s.llr),
          threshold: round(this.up),
          benign_threshold: round(this.down),
          decision_path: s.path,
          first_contacts: s.failures + s.successes,
          failures: s.failures,
          successes: s.successes,
          benign_decisions: s.benignDecisions,
          first_contact: this.cfg.first_contact,
          hosts: sortedSample(s.hosts),
          ports: sortedSample(s.ports),
          first: evidenceTime(s.firstTs),
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
    } else if (s.llr <= this.down) {
      // Benign decision: restart the walk.
      s.llr = 0;
      s.benignDecisions++;
    }
  }

  tick(now: number): void {
    this.states.expire(now);
  }

  stats() {
    return { tracked: this.states.size, evictions: this.states.evictions, alerts: this.alerts };
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
