/**
 * Config declarations for the response policy and the suppression of repeats, for the
 * integrator to place: {@link RESPONSE_RULE_KEY} goes into the `[response]` section as key
 * `rule` (written `[[response.rule]]`), {@link SUPPRESS_SECTION} is `[response.suppress]`.
 *
 * @module
 */

import type { KeySpec, SectionSpec } from "../config/spec.ts";
import { DEFAULT_RULE_INPUTS, ruleInputToRecord } from "./policy.ts";

/** The fields of one `[[response.rule]]` entry. */
export const RESPONSE_RULE_FIELDS = {
  detector: {
    type: "string",
    default: "*",
    doc: 'Detector name or glob ("scan.port", "scan.*", "attack.http.*"); "*" matches every ' +
      'detector. Default "*".',
  },
  category: {
    type: "string",
    default: "any",
    choices: ["any", "scan", "attack", "exfiltration", "anomaly"],
    doc: 'Alert category to match: "scan", "attack", "exfiltration", "anomaly", or "any" ' +
      "(default). Both detector and category must match.",
  },
  min_severity: {
    type: "integer",
    default: 3,
    min: 1,
    max: 3,
    doc: "Matches alerts at least this severe (1 high, 2 medium, 3 low): 1 matches only high, " +
      "3 (default) matches all.",
  },
  actions: {
    type: "strings",
    default: ["log"],
    doc: 'Any of "log" (write the event), "notify" (send to the [notify.*] channels), "ban" ' +
      '(add the offender to the firewall). Default ["log"]; an empty list drops the alert ' +
      "silently.",
  },
  ban_spoofable: {
    type: "boolean",
    default: false,
    doc: "Ban even when the evidence could be forged with spoofed single packets (stealth-flag " +
      "probes, unanswered SYNs). Default false: true stops more scanners but lets anyone who " +
      "forges a source address get that address banned (a third party, or your own gateway).",
  },
  ban_duration: {
    type: "duration",
    default: 0,
    min: 0,
    doc: 'How long a ban by this rule lasts ("10m", "1h", "7d"); 0 (default) uses the ban ' +
      "manager's default. Longer bans keep persistent attackers out but also keep out a " +
      "wrongly banned address for longer.",
  },
} as const satisfies Readonly<Record<string, KeySpec>>;

/**
 * `response.rule`: the ordered rule list. The first rule that matches an alert decides its
 * actions; an alert no rule matches is logged only.
 */
export const RESPONSE_RULE_KEY = {
  type: "records",
  fields: RESPONSE_RULE_FIELDS,
  default: DEFAULT_RULE_INPUTS.map(ruleInputToRecord),
  doc: "Which alerts lead to which actions, as an ordered list of [[response.rule]] tables. " +
    "The first rule that matches an alert wins (put exceptions above broad rules); an alert " +
    "that matches no rule is logged and nothing else. Writing any rule replaces the whole " +
    "default list, which is: scans and attacks are logged and banned (not on spoofable " +
    "evidence), high and medium severity alerts notify, everything is logged.",
} as const satisfies KeySpec;

/** `[response.suppress]`: one alert per (detector, offender, target) per interval. */
export const SUPPRESS_SECTION = {
  doc: "Suppression of repeated alerts: one alert per detector, offender and target per " +
    "interval; the repeats are counted and reported in the next alert that passes, or in a " +
    "summary when the interval ends without one.",
  keys: {
    interval: {
      type: "duration",
      default: 300,
      min: 0,
      doc: 'How long after an alert its repeats are held back ("5m" default; 0 turns ' +
        "suppression off). Longer intervals mean fewer messages but slower news of a change " +
        "in an ongoing attack.",
    },
    max_keys: {
      type: "integer",
      default: 10000,
      min: 16,
      max: 10_000_000,
      doc: "How many (detector, offender, target) triples are remembered (default 10000); the " +
        "oldest is forgotten first and its held-back count reported. More costs memory " +
        "(about 200 bytes each); fewer lets a flood of distinct sources through unsuppressed.",
    },
  },
} as const satisfies SectionSpec;
