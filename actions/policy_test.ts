import assert from "node:assert/strict";
import {
  decide,
  DEFAULT_RULES,
  globToRegExp,
  makeRule,
  PolicyError,
  rulesFromRecords,
} from "./policy.ts";
import { RESPONSE_RULE_KEY } from "./policy_config.ts";
import { makeAlert } from "./notifiers/_fixtures.ts";

const LOG_ONLY = { log: true, notify: false, ban: false, banDurationS: null };

Deno.test("decide() with default rules bans and notifies a medium scan", () => {
  assert.deepEqual(decide(makeAlert(), DEFAULT_RULES), {
    log: true,
    notify: true,
    ban: true,
    banDurationS: null,
    rule: 2,
    banWithheldSpoofable: false,
  });
});

Deno.test("decide() with default rules bans a low scan without notifying", () => {
  assert.deepEqual(decide(makeAlert({ severity: 3 }), DEFAULT_RULES), {
    log: true,
    notify: false,
    ban: true,
    banDurationS: null,
    rule: 3,
    banWithheldSpoofable: false,
  });
});

Deno.test("decide() with default rules bans a scan of failed attempts even when spoofable", () => {
  // A SYN scan of closed ports is forgeable; the safety rules, not the policy, stop abuse.
  assert.deepEqual(decide(makeAlert({ spoofable: true, severity: 2 }), DEFAULT_RULES), {
    log: true,
    notify: true,
    ban: true,
    banDurationS: null,
    rule: 2,
    banWithheldSpoofable: false,
  });
});

Deno.test("decide() with default rules never bans stealth-flag probes or distributed scans", () => {
  const stealth = makeAlert({ detector: "scan.stealth", spoofable: true, severity: 2 });
  assert.deepEqual(decide(stealth, DEFAULT_RULES), {
    log: true,
    notify: true,
    ban: false,
    banDurationS: null,
    rule: 0,
    banWithheldSpoofable: false,
  });
  const distributed = makeAlert({ detector: "scan.distributed", spoofable: true, severity: 3 });
  assert.deepEqual(decide(distributed, DEFAULT_RULES), {
    log: true,
    notify: true,
    ban: false,
    banDurationS: null,
    rule: 1,
    banWithheldSpoofable: false,
  });
});

Deno.test("decide() with default rules does not ban an attack on spoofable evidence", () => {
  const attack = makeAlert({ category: "attack", detector: "attack.flood", spoofable: true });
  assert.deepEqual(decide(attack, DEFAULT_RULES), {
    log: true,
    notify: true,
    ban: false,
    banDurationS: null,
    rule: 4,
    banWithheldSpoofable: true,
  });
});

Deno.test("decide() with default rules bans a high attack, logs a low anomaly only", () => {
  const attack = makeAlert({ category: "attack", detector: "attack.http.sqli", severity: 1 });
  assert.deepEqual(decide(attack, DEFAULT_RULES), {
    log: true,
    notify: true,
    ban: true,
    banDurationS: null,
    rule: 4,
    banWithheldSpoofable: false,
  });
  const anomaly = makeAlert({ category: "anomaly", detector: "anomaly.ttl", severity: 3 });
  assert.deepEqual(decide(anomaly, DEFAULT_RULES), {
    ...LOG_ONLY,
    rule: 7,
    banWithheldSpoofable: false,
  });
  const exfil = makeAlert({ category: "exfiltration", detector: "exfil.beacon", severity: 2 });
  assert.deepEqual(decide(exfil, DEFAULT_RULES), {
    log: true,
    notify: true,
    ban: false,
    banDurationS: null,
    rule: 6,
    banWithheldSpoofable: false,
  });
});

Deno.test("decide() takes the first matching rule, not the union", () => {
  const rules = rulesFromRecords([
    { detector: "scan.ping", actions: ["log"] },
    { category: "scan", actions: ["notify", "ban"], ban_duration: 3600 },
  ]);
  assert.deepEqual(decide(makeAlert({ detector: "scan.ping" }), rules), {
    ...LOG_ONLY,
    rule: 0,
    banWithheldSpoofable: false,
  });
  assert.deepEqual(decide(makeAlert(), rules), {
    log: false,
    notify: true,
    ban: true,
    banDurationS: 3600,
    rule: 1,
    banWithheldSpoofable: false,
  });
});

Deno.test("decide() matches min_severity as 'at least as severe as'", () => {
  const rules = [makeRule({ minSeverity: 2, actions: ["notify"] })];
  const hit = { log: false, notify: true, ban: false, banDurationS: null, rule: 0 };
  assert.deepEqual(decide(makeAlert({ severity: 1 }), rules), {
    ...hit,
    banWithheldSpoofable: false,
  });
  assert.deepEqual(decide(makeAlert({ severity: 2 }), rules), {
    ...hit,
    banWithheldSpoofable: false,
  });
  assert.deepEqual(decide(makeAlert({ severity: 3 }), rules), {
    ...LOG_ONLY,
    rule: null,
    banWithheldSpoofable: false,
  });
});

Deno.test("decide() bans spoofable evidence when ban_spoofable = true", () => {
  const rules = rulesFromRecords([{ actions: ["ban"], ban_spoofable: true, ban_duration: 60 }]);
  assert.deepEqual(decide(makeAlert({ spoofable: true }), rules), {
    log: false,
    notify: false,
    ban: true,
    banDurationS: 60,
    rule: 0,
    banWithheldSpoofable: false,
  });
});

Deno.test("decide() with no rules logs only", () => {
  assert.deepEqual(decide(makeAlert(), []), {
    ...LOG_ONLY,
    rule: null,
    banWithheldSpoofable: false,
  });
});

Deno.test("globToRegExp() matches dots literally and * across dots", () => {
  assert.equal(globToRegExp("scan.*").test("scan.port"), true);
  assert.equal(globToRegExp("scan.*").test("scanXport"), false);
  assert.equal(globToRegExp("attack.*").test("attack.http.sqli"), true);
  assert.equal(globToRegExp("scan.port").test("scan.portx"), false);
  assert.equal(globToRegExp("scan.p?rt").test("scan.port"), true);
  assert.equal(globToRegExp("a+b(c)").test("a+b(c)"), true);
});

Deno.test("rulesFromRecords() names the rule and field of a bad value", () => {
  assert.throws(
    () => rulesFromRecords([{ actions: ["log"] }, { actions: ["log", "shout"] }]),
    (e: unknown) =>
      e instanceof PolicyError &&
      e.message ===
        'Cannot use "response.rule #2.actions" entry "shout": expected "log", "notify" or "ban"',
  );
  assert.throws(() => rulesFromRecords([{ category: "scans" }]), PolicyError);
  assert.throws(() => rulesFromRecords([{ min_severity: 4 }]), PolicyError);
  assert.throws(() => rulesFromRecords([{ ban_duration: -1 }]), PolicyError);
});

Deno.test("RESPONSE_RULE_KEY default records give the same decisions as DEFAULT_RULES", () => {
  const fromConfig = rulesFromRecords(RESPONSE_RULE_KEY.default);
  for (const category of ["scan", "attack", "exfiltration", "anomaly"] as const) {
    for (const severity of [1, 2, 3] as const) {
      for (const spoofable of [false, true]) {
        const a = makeAlert({ category, severity, spoofable, detector: `${category}.x` });
        assert.deepEqual(decide(a, fromConfig), decide(a, DEFAULT_RULES));
      }
    }
  }
});
