// scan.trw: the sequential test's arithmetic worked by hand, then the detector on
// hand-built packets (flow/_packet_builder.ts) through the Engine.
import assert from "node:assert/strict";
import { Packet } from "../decode/packet.ts";
import { defaultFlowConfig } from "../flow/config.ts";
import { tcp, udp } from "../flow/_packet_builder.ts";
import type { Alert } from "./alert.ts";
import { Engine } from "./engine.ts";
import { trwDetector, trwLogStep, trwLogThresholds } from "./trw.ts";

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-3, `${a} ≉ ${b}`);

Deno.test("trwLogThresholds() gives ln(PD/PF) and ln((1-PD)/(1-PF))", () => {
  // PD = 0.99, PF = 0.01:
  //   η1 = 0.99 / 0.01 = 99            → ln 99 = 4.5951
  //   η0 = 0.01 / 0.99 = 0.010101...   → ln η0 = −4.5951 (the same magnitude: PD = 1 − PF)
  const t = trwLogThresholds(0.99, 0.01);
  close(t.upper, 4.5951);
  close(t.lower, -4.5951);
});

Deno.test("trwLogStep() weighs a failure ln 4 and a success ln 0.25 with θ0 = 0.8, θ1 = 0.2", () => {
  // Failure (Y = 1): Pr[Y=1|H1] / Pr[Y=1|H0] = (1 − θ1)/(1 − θ0) = 0.8 / 0.2 = 4 → ln 4 = 1.3863
  // Success (Y = 0): Pr[Y=0|H1] / Pr[Y=0|H0] = θ1/θ0 = 0.2 / 0.8 = 0.25     → ln ¼ = −1.3863
  close(trwLogStep(0.8, 0.2, true), 1.3863);
  close(trwLogStep(0.8, 0.2, false), -1.3863);
  // Failures needed from a fresh walk: ln 99 / ln 4 = 4.5951 / 1.3863 = 3.31 → 4 failures
  // (3 failures: 4.1589 < 4.5951; 4 failures: 5.5452 ≥ 4.5951).
  close(3 * trwLogStep(0.8, 0.2, true), 4.1589);
  close(4 * trwLogStep(0.8, 0.2, true), 5.5452);
});

function engine(alerts: Alert[], over: Record<string, unknown> = {}) {
  return new Engine({
    flow: { ...defaultFlowConfig, max_flows: 4096 },
    definitions: [trwDetector],
    detectors: { "scan.trw": over },
    allowlist: [],
    localAddresses: ["10.0.0.2"],
    emit: (a) => alerts.push(a),
  });
}

/** SYN from 10.0.0.1 to 10.0.0.2:port answered by RST (refused) or SYN-ACK (answered). */
function contact(e: Engine, p: Packet, ts: number, port: number, open: boolean, src = "10.0.0.1") {
  e.onPacket(tcp(p, ts, src, 40000 + port, "10.0.0.2", port, "S"));
  e.onPacket(tcp(p, ts + 0.001, "10.0.0.2", port, src, 40000 + port, open ? "SA" : "RA"));
}

Deno.test("scan.trw flags a source on its 4th refused first contact, not its 3rd", () => {
  const alerts: Alert[] = [], p = new Packet(), e = engine(alerts);
  contact(e, p, 1, 1, false);
  contact(e, p, 2, 2, false);
  contact(e, p, 3, 3, false); // Λ: ln 4 × 3 = 4.159 < 4.595
  assert.equal(alerts.length, 0);
  contact(e, p, 4, 4, false); // 5.545 ≥ 4.595: scanner
  assert.equal(alerts.length, 1);
  const a = alerts[0]!;
  assert.equal(a.detector, "scan.trw");
  assert.equal(a.signatureId, 1000101);
  assert.equal(a.offender, "10.0.0.1");
  assert.equal(a.direction, "inbound");
  assert.equal(a.spoofable, true); // no successful contact
  assert.deepEqual(a.evidence, {
    log_likelihood: 5.545,
    threshold: 4.595,
    benign_threshold: -4.595,
    decision_path: "FFFF",
    first_contacts: 4,
    failures: 4,
    successes: 0,
    benign_decisions: 0,
    first_contact: "host_port",
    hosts: ["10.0.0.2"],
    ports: [1, 2, 3, 4],
    first: 1.001,
    last: 4.001,
    last_outcome: "refused",
  });
  // Further failures do not repeat the alert.
  for (let i = 5; i < 30; i++) contact(e, p, 4 + i, i, false);
  assert.equal(alerts.length, 1);
});

Deno.test("scan.trw counts only first contacts: repeats to the same host and port are ignored", () => {
  const alerts: Alert[] = [], p = new Packet(), e = engine(alerts);
  for (let i = 0; i < 10; i++) contact(e, p, 1 + i, 23, false); // one first contact, 9 repeats
  assert.equal(alerts.length, 0);
});

Deno.test("scan.trw successes pull the walk down: S S F F F F F F needs 6 failures", () => {
  // 2 successes: −2.773. Then failures: −2.773 + 1.386 k ≥ 4.595 → k ≥ 5.31 → 6 failures
  // (5 failures: 4.159 < 4.595; 6: 5.545). The benign threshold (−4.595) is not reached by
  // 2 successes (−2.773), so the walk is not restarted.
  const alerts: Alert[] = [], p = new Packet(), e = engine(alerts);
  contact(e, p, 1, 80, true);
  contact(e, p, 2, 443, true);
  for (let i = 0; i < 5; i++) contact(e, p, 3 + i, 1000 + i, false);
  assert.equal(alerts.length, 0);
  contact(e, p, 9, 2000, false);
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0]!.evidence.decision_path, "SSFFFFFF");
  assert.equal(alerts[0]!.spoofable, false);
});

Deno.test("scan.trw restarts the walk after a benign decision (4 successes)", () => {
  // 4 successes: −5.545 ≤ −4.595 → benign, Λ back to 1 (log 0). Then 4 failures flag it.
  const alerts: Alert[] = [], p = new Packet(), e = engine(alerts);
  for (let i = 0; i < 4; i++) contact(e, p, 1 + i, 80 + i, true);
  for (let i = 0; i < 4; i++) contact(e, p, 10 + i, 1000 + i, false);
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0]!.evidence.benign_decisions, 1);
  assert.equal(alerts[0]!.evidence.log_likelihood, 5.545);
});

Deno.test("scan.trw counts unanswered SYNs as failures, and ignores unanswered UDP", () => {
  const alerts: Alert[] = [], p = new Packet(), e = engine(alerts);
  for (let i = 0; i < 6; i++) e.onPacket(udp(p, i, "10.0.0.1", 5000 + i, "10.0.0.2", 100 + i));
  for (let i = 0; i < 4; i++) {
    e.onPacket(tcp(p, 10 + i, "10.0.0.1", 6000, "10.0.0.2", 200 + i, "S"));
  }
  e.tick(20); // all unanswered after 5 s
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0]!.evidence.decision_path, "FFFF");
  assert.equal(alerts[0]!.evidence.last_outcome, "unanswered");
});

Deno.test("scan.trw with first_contact = host walks hosts, not ports", () => {
  const alerts: Alert[] = [], p = new Packet(), e = engine(alerts, { first_contact: "host" });
  for (let i = 0; i < 10; i++) contact(e, p, 1 + i, 100 + i, false); // one host: 1 contact
  assert.equal(alerts.length, 0);
});

Deno.test("scan.trw caps tracked sources and counts evictions", () => {
  const alerts: Alert[] = [], p = new Packet(), e = engine(alerts, { max_sources: 16 });
  for (let i = 0; i < 100; i++) contact(e, p, 1 + i * 0.01, 80, false, `10.1.0.${i + 1}`);
  const s = e.stats().detectors["scan.trw"]!;
  assert.equal(s.tracked, 16);
  assert.equal(s.evictions, 84);
});

Deno.test("scan.trw forgets a flagged source after idle_timeout and may flag it again", () => {
  const alerts: Alert[] = [], p = new Packet(), e = engine(alerts, { idle_timeout: 60 });
  for (let i = 0; i < 4; i++) contact(e, p, 1 + i, 1 + i, false);
  assert.equal(alerts.length, 1);
  for (let i = 0; i < 4; i++) contact(e, p, 30 + i, 10 + i, false); // still flagged: quiet
  assert.equal(alerts.length, 1);
  for (let i = 0; i < 4; i++) contact(e, p, 200 + i, 20 + i, false); // idle 167 s > 60 s
  assert.equal(alerts.length, 2);
});

Deno.test("Engine.setLocalAddresses: alerts after a change of this host's address carry the new direction", () => {
  const alerts: Alert[] = [], p = new Packet(), e = engine(alerts);
  for (let port = 1; port <= 4; port++) contact(e, p, port, port, false, "10.0.0.1");
  assert.equal(alerts.at(-1)!.direction, "inbound", "10.0.0.2 is this host");
  // DHCP moves this host to 10.0.0.1: the same kind of scan is now this host's own.
  e.setLocalAddresses(["10.0.0.1"]);
  for (let port = 1; port <= 4; port++) contact(e, p, 10 + port, port, false, "10.0.0.1");
  for (let port = 1; port <= 4; port++) contact(e, p, 20 + port, port, false, "10.0.0.7");
  assert.equal(alerts.length, 2, "10.0.0.1 was alerted once; 10.0.0.7 now");
  assert.equal(alerts[1]!.offender, "10.0.0.7");
  assert.equal(alerts[1]!.direction, "transit", "neither 10.0.0.7 nor 10.0.0.2 is this host now");
  // Now this host is 10.0.0.8, and it scans 10.0.0.2: an outbound scan.
  e.setLocalAddresses(["10.0.0.8"]);
  for (let port = 1; port <= 4; port++) contact(e, p, 30 + port, port, false, "10.0.0.8");
  assert.equal(alerts.length, 3);
  assert.equal(alerts[2]!.offender, "10.0.0.8");
  assert.equal(alerts[2]!.direction, "outbound");
});

/** An attempt from 10.0.0.1:sport to 10.0.0.2:dport, answered (SYN-ACK) or refused (RST). */
function attempt(e: Engine, p: Packet, ts: number, sport: number, dport: number, open: boolean) {
  e.onPacket(tcp(p, ts, "10.0.0.1", sport, "10.0.0.2", dport, "S"));
  e.onPacket(tcp(p, ts + 0.001, "10.0.0.2", dport, "10.0.0.1", sport, open ? "SA" : "RA"));
}

Deno.test("scan.trw remembers first contacts past the record's 14, then forgets all at max_contacts", () => {
  // Per case: distinct answered contacts, their repeats, a new one, a repeat of the first,
  // then refused contacts until the walk flags the source. `successes` tells which answered
  // contacts counted as first; every 4 successes are a benign decision (Λ back to 1), so the
  // failures needed follow: 1 success left over needs 5, 2 need 6.
  const cases = [
    // 16 remembered (14 in the record, then the set), the 17th too: repeats are not first.
    { max_contacts: 64, distinct: 16, successes: 17, failures: 5 },
    // 8 remembered in the record; the 9th clears them, so the repeat counts again.
    { max_contacts: 8, distinct: 8, successes: 10, failures: 6 },
    // 20 remembered (record, then set); the 21st clears the set, the repeat counts again.
    { max_contacts: 20, distinct: 20, successes: 22, failures: 6 },
  ];
  for (const c of cases) {
    const alerts: Alert[] = [], p = new Packet();
    const e = engine(alerts, { max_contacts: c.max_contacts });
    let t = 1, sport = 10000;
    for (let i = 0; i < c.distinct; i++) attempt(e, p, t++, sport++, 100 + i, true);
    for (let i = 0; i < c.distinct; i++) attempt(e, p, t++, sport++, 100 + i, true); // repeats
    attempt(e, p, t++, sport++, 100 + c.distinct, true); // one more
    attempt(e, p, t++, sport++, 100, true); // the first again
    for (let i = 0; i < 10 && alerts.length === 0; i++) {
      attempt(e, p, t++, sport++, 200 + i, false);
    }
    assert.equal(alerts.length, 1, `max_contacts ${c.max_contacts}`);
    const ev = alerts[0]!.evidence;
    assert.deepEqual(
      { successes: ev.successes, failures: ev.failures },
      { successes: c.successes, failures: c.failures },
      `max_contacts ${c.max_contacts}`,
    );
  }
});
