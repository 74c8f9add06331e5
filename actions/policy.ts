/**
 * The response policy: which alert leads to which action (log, notify, ban). It is
 * configuration (`[[response.rule]]` in the TOML file), not code.
 *
 * Semantics: the rules are an ordered list and the **first matching rule wins**, as in a
 * firewall rule set. That makes exceptions easy to write (put `detector = "scan.ping"`,
 * `actions = ["log"]` above a broad `category = "scan"` rule), and leaves no doubt about which
 * ban duration applies. An alert that no rule matches is logged and nothing else, so a gap in
 * the rules never hides an alert.
 *
 * @module
 */

import type { Alert, AlertCategory, Severity } from "../detect/alert.ts";
import type { RecordValue } from "../config/spec.ts";

/** What a rule may ask for. */
export type PolicyAction = "log" | "notify" | "ban";

/** The actions a rule may list, in a stable order. */
export const POLICY_ACTIONS: readonly PolicyAction[] = ["log", "notify", "ban"];

/** The categories a rule may name; `any` matches all. */
export const RULE_CATEGORIES: readonly (AlertCategory | "any")[] = [
  "any",
  "scan",
  "attack",
  "exfiltration",
  "anomaly",
];

/** One validated rule of `[[response.rule]]`. */
export interface ResponseRule {
  /** Glob over the detector name: `*` any run of characters (dots included), `?` one. */
  readonly detector: string;
  readonly category: AlertCategory | "any";
  /** Matches alerts at least this severe: 1 matches only high, 3 matches everything. */
  readonly minSeverity: Severity;
  readonly log: boolean;
  readonly notify: boolean;
  readonly ban: boolean;
  /** When false, a `ban` is not carried out for alerts whose evidence could be spoofed. */
  readonly banSpoofable: boolean;
  /** Ban duration for this rule in seconds; null uses the ban manager's default. */
  readonly banDurationS: number | null;
  /** Compiled form of `detector`. */
  readonly detectorPattern: RegExp;
}

/** The outcome of {@link decide} for one alert. */
export interface Decision {
  readonly log: boolean;
  readonly notify: boolean;
  readonly ban: boolean;
  /** Set only when `ban` is true and the rule overrides the default duration. */
  readonly banDurationS: number | null;
  /** Index of the matching rule in the list, null when none matched. */
  readonly rule: number | null;
  /** True when the rule asked for a ban that was withheld because the alert is spoofable. */
  readonly banWithheldSpoofable: boolean;
}

/** Raised for a rule that cannot be used; names the rule and the field. */
export class PolicyError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PolicyError";
  }
}

/** Compiles a detector glob into an anchored regular expression. */
export function globToRegExp(glob: string): RegExp {
  let source = "";
  for (const ch of glob) {
    if (ch === "*") source += ".*";
    else if (ch === "?") source += ".";
    else source += ch.replace(/[.+^${}()|[\]\\/-]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}

/** Input of {@link makeRule}: the config field names, all optional. */
export interface RuleInput {
  detector?: string;
  category?: AlertCategory | "any";
  minSeverity?: Severity;
  actions?: readonly PolicyAction[];
  banSpoofable?: boolean;
  /** 0 or null: the ban manager's default. */
  banDurationS?: number | null;
}

/** Builds a rule from code (defaults as in the config: any detector, any category, log only). */
export function makeRule(input: RuleInput): ResponseRule {
  const detector = input.detector ?? "*";
  const actions = input.actions ?? ["log"];
  const d = input.banDurationS ?? null;
  return Object.freeze({
    detector,
    category: input.category ?? "any",
    minSeverity: input.minSeverity ?? 3,
    log: actions.includes("log"),
    notify: actions.includes("notify"),
    ban: actions.includes("ban"),
    banSpoofable: input.banSpoofable ?? false,
    banDurationS: d === null || d === 0 ? null : d,
    detectorPattern: globToRegExp(detector),
  });
}

/**
 * The default rules, in order.
 *
 * - Stealth-flag probes (`scan.stealth`: NULL, FIN, Xmas, Maimon, ACK) are logged and notified
 *   but never banned by themselves: each probe is a single packet that needs no answer, so
 *   anyone can send any number of them under any source address.
 * - Distributed scans (`scan.distributed`) are logged and notified, not banned: the alert is
 *   about the target, and its "offender" is one of many sources.
 * - Every other scan is banned, spoofable or not: its evidence is a run of failed connection
 *   attempts this host answered (refused or left unanswered), the scans an operator expects to
 *   be stopped. A forger could make a third party look like a scanner; the safety rules (never
 *   the gateway, DNS resolvers, this host, loopback, link-local or the allowlist), the cap on
 *   bans per minute and short first bans (10 minutes) bound what that achieves.
 * - Attacks are banned unless their evidence is spoofable.
 * - High and medium severity alerts notify; everything is logged.
 */
export const DEFAULT_RULE_INPUTS: readonly RuleInput[] = [
  { detector: "scan.stealth", actions: ["log", "notify"] },
  { detector: "scan.distributed", actions: ["log", "notify"] },
  { category: "scan", minSeverity: 2, actions: ["log", "notify", "ban"], banSpoofable: true },
  { category: "scan", minSeverity: 3, actions: ["log", "ban"], banSpoofable: true },
  { category: "attack", minSeverity: 2, actions: ["log", "notify", "ban"] },
  { category: "attack", minSeverity: 3, actions: ["log", "ban"] },
  { minSeverity: 2, actions: ["log", "notify"] },
  { minSeverity: 3, actions: ["log"] },
];

/** {@link DEFAULT_RULE_INPUTS}, compiled. */
export const DEFAULT_RULES: readonly ResponseRule[] = Object.freeze(
  DEFAULT_RULE_INPUTS.map(makeRule),
);

/** The default rules as config records (the `default` of the `response.rule` key). */
export function ruleInputToRecord(r: RuleInput): RecordValue {
  return Object.freeze({
    detector: r.detector ?? "*",
    category: r.category ?? "any",
    min_severity: r.minSeverity ?? 3,
    actions: Object.freeze([...(r.actions ?? ["log"])]),
    ban_spoofable: r.banSpoofable ?? false,
    ban_duration: r.banDurationS ?? 0,
  });
}

/**
 * Turns validated `[[response.rule]]` records into rules. Checks what the generic record
 * validation cannot: the action names, the category and the severity range.
 *
 * @throws {PolicyError} naming the rule (1-based, as an operator counts) and the field.
 */
export function rulesFromRecords(records: readonly RecordValue[]): ResponseRule[] {
  return records.map((rec, i) => {
    const where = `response.rule #${i + 1}`;
    const detector = rec["detector"] ?? "*";
    if (typeof detector !== "string" || detector === "") {
      throw new PolicyError(
        `Cannot use "${where}.detector" = ${
          JSON.stringify(detector)
        }: expected a detector name or glob such as "scan.*"`,
      );
    }
    const category = rec["category"] ?? "any";
    if (
      typeof category !== "string" || !(RULE_CATEGORIES as readonly string[]).includes(category)
    ) {
      throw new PolicyError(
        `Cannot use "${where}.category" = ${JSON.stringify(category)}: expected one of ${
          RULE_CATEGORIES.join(", ")
        }`,
      );
    }
    const sev = rec["min_severity"] ?? 3;
    if (sev !== 1 && sev !== 2 && sev !== 3) {
      throw new PolicyError(
        `Cannot use "${where}.min_severity" = ${
          JSON.stringify(sev)
        }: expected 1 (high only), 2 (high and medium) or 3 (all)`,
      );
    }
    const actions = rec["actions"] ?? ["log"];
    if (!Array.isArray(actions)) {
      throw new PolicyError(
        `Cannot use "${where}.actions" = ${
          JSON.stringify(actions)
        }: expected a list of "log", "notify", "ban"`,
      );
    }
    for (const a of actions) {
      if (!(POLICY_ACTIONS as readonly string[]).includes(a)) {
        throw new PolicyError(
          `Cannot use "${where}.actions" entry ${
            JSON.stringify(a)
          }: expected "log", "notify" or "ban"`,
        );
      }
    }
    const banSpoofable = rec["ban_spoofable"] ?? false;
    if (typeof banSpoofable !== "boolean") {
      throw new PolicyError(`Cannot use "${where}.ban_spoofable": expected true or false`);
    }
    const dur = rec["ban_duration"] ?? 0;
    if (typeof dur !== "number" || !Number.isFinite(dur) || dur < 0) {
      throw new PolicyError(
        `Cannot use "${where}.ban_duration" = ${
          JSON.stringify(dur)
        }: expected a duration such as "10m" or "1h", or 0 for the default`,
      );
    }
    return makeRule({
      detector,
      category: category as AlertCategory | "any",
      minSeverity: sev,
      actions: actions as PolicyAction[],
      banSpoofable,
      banDurationS: dur,
    });
  });
}

/** True when the rule applies to the alert. */
export function ruleMatches(rule: ResponseRule, alert: Alert): boolean {
  return alert.severity <= rule.minSeverity &&
    (rule.category === "any" || rule.category === alert.category) &&
    rule.detectorPattern.test(alert.detector);
}

const NO_MATCH: Decision = Object.freeze({
  log: true,
  notify: false,
  ban: false,
  banDurationS: null,
  rule: null,
  banWithheldSpoofable: false,
});

/**
 * Decides what to do with one alert: the first rule that matches wins; no match means log
 * only. Pure: same alert and rules, same decision.
 */
export function decide(alert: Alert, rules: readonly ResponseRule[]): Decision {
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!;
    if (!ruleMatches(rule, alert)) continue;
    const withheld = rule.ban && alert.spoofable && !rule.banSpoofable;
    const ban = rule.ban && !withheld;
    return {
      log: rule.log,
      notify: rule.notify,
      ban,
      banDurationS: ban ? rule.banDurationS : null,
      rule: i,
      banWithheldSpoofable: withheld,
    };
  }
  return NO_MATCH;
}
