import assert from "node:assert/strict";
import { alertToEve } from "./eve.ts";
import {
  type ChannelPolicy,
  Notifier,
  type NotifyChannel,
  type NotifyMessage,
  RateGate,
} from "./notify.ts";
import { formatAlert } from "./notify_format.ts";
import { makeAlert } from "./notifiers/_fixtures.ts";

/** A channel that records what it gets, and fails while `failing` is true. */
class RecordingChannel implements NotifyChannel {
  readonly got: NotifyMessage[] = [];
  attempts = 0;
  failing = false;
  /** Fail this many more attempts, then work. */
  failNext = 0;
  constructor(readonly name = "rec") {}
  send(m: NotifyMessage): Promise<void> {
    this.attempts++;
    if (this.failing || this.failNext > 0) {
      this.failNext = Math.max(0, this.failNext - 1);
      return Promise.reject(new Error("receiver said no"));
    }
    this.got.push(m);
    return Promise.resolve();
  }
}

const POLICY: ChannelPolicy = { minSeverity: 3, ratePerMinute: 0, retryDelaysMs: [] };

function setup(policy: Partial<ChannelPolicy> = {}, globalRate = 0) {
  const clock = { ms: 1_000_000 };
  const logs: string[] = [];
  const ch = new RecordingChannel();
  const n = new Notifier([{ channel: ch, policy: { ...POLICY, ...policy } }], {
    ratePerMinute: globalRate,
    queueLength: 100,
    now: () => clock.ms,
    log: (level, msg) => logs.push(`${level}: ${msg}`),
  });
  return { clock, logs, ch, n };
}

Deno.test("Notifier sends an alert with its title and body", async () => {
  const { ch, n } = setup();
  n.alert(makeAlert(), 3);
  await n.flush();
  assert.equal(ch.got.length, 1);
  assert.equal(ch.got[0]!.title, "MEDIUM: TCP port scan of 10.200.0.1 by 10.200.0.2");
  assert.match(ch.got[0]!.body, /^Repeats held back since the last notice: 3$/m);
  assert.match(ch.got[0]!.body, /^Evidence: ports=\[21,22,23,80\] probes=25$/m);
  assert.match(ch.got[0]!.body, /^Flow: TCP 10\.200\.0\.2:40100 -> 10\.200\.0\.1:22$/m);
});

Deno.test("Notifier filters by the channel's minimum severity", async () => {
  const { ch, n } = setup({ minSeverity: 1 });
  n.alert(makeAlert({ severity: 2 }));
  n.alert(makeAlert({ severity: 1, signature: "high one" }));
  await n.flush();
  assert.deepEqual(ch.got.map((m) => m.title), ["HIGH: high one"]);
  assert.equal(n.stats()["rec"]!.belowSeverity, 1);
});

Deno.test("Notifier rate limit holds back and sends one digest when the window reopens", async () => {
  // 2 per minute: bucket of 2, one token every 30 s.
  const { clock, ch, n } = setup({ ratePerMinute: 2 });
  for (let i = 0; i < 5; i++) {
    n.alert(makeAlert({ signature: `scan ${i}`, severity: i === 3 ? 1 : 2 }));
  }
  await n.flush();
  assert.deepEqual(ch.got.map((m) => m.title), ["MEDIUM: scan 0", "MEDIUM: scan 1"]);
  assert.equal(n.stats()["rec"]!.rateLimited, 3);
  clock.ms += 29_999;
  n.tick();
  await n.flush();
  assert.equal(ch.got.length, 2);
  clock.ms += 1;
  n.tick();
  await n.flush();
  assert.equal(ch.got.length, 3);
  const digest = ch.got[2]!;
  assert.equal(digest.kind, "digest");
  assert.equal(digest.severity, 1);
  assert.equal(digest.title, "HIGH: 3 notifications held back by the rec rate limit");
  assert.match(digest.body, /^Severities: 1 high, 2 medium, 0 low$/m);
  assert.match(digest.body, /^- MEDIUM: scan 2\n- HIGH: scan 3\n- MEDIUM: scan 4$/m);
  // The digest used the token: the next alert waits for the next one.
  n.alert(makeAlert({ signature: "scan 5" }));
  await n.flush();
  assert.equal(ch.got.length, 3);
  clock.ms += 30_000;
  n.alert(makeAlert({ signature: "scan 6" }));
  await n.flush();
  // The window reopened with a new message: digest of "scan 5" first; "scan 6" is held.
  assert.deepEqual(ch.got.slice(3).map((m) => m.title), [
    "MEDIUM: 1 notifications held back by the rec rate limit",
  ]);
});

Deno.test("Notifier global rate limit applies before fan-out", async () => {
  const { clock, ch, n } = setup({}, 1);
  n.alert(makeAlert({ signature: "a" }));
  n.alert(makeAlert({ signature: "b" }));
  n.alert(makeAlert({ signature: "c" }));
  await n.flush();
  assert.deepEqual(ch.got.map((m) => m.title), ["MEDIUM: a"]);
  assert.equal(n.globalRateLimited, 2);
  clock.ms += 60_000;
  n.tick();
  await n.flush();
  assert.equal(ch.got[1]!.title, "MEDIUM: 2 notifications held back by the global rate limit");
});

Deno.test("Notifier retries with backoff and succeeds on the second try", async () => {
  const { ch, n, logs } = setup({ retryDelaysMs: [20, 40] });
  ch.failNext = 1;
  const t0 = performance.now();
  n.alert(makeAlert());
  await n.flush();
  assert.ok(performance.now() - t0 >= 19);
  assert.equal(ch.attempts, 2);
  assert.equal(ch.got.length, 1);
  assert.deepEqual(n.stats()["rec"], {
    sent: 1,
    failed: 0,
    retried: 1,
    queueOverflow: 0,
    rateLimited: 0,
    belowSeverity: 0,
    digests: 0,
    droppedAtClose: 0,
  });
  assert.deepEqual(logs, []);
});

Deno.test("Notifier survives a failing channel and logs once per failure streak", async () => {
  const { ch, n, logs } = setup({ retryDelaysMs: [1, 1] });
  ch.failing = true;
  n.alert(makeAlert({ signature: "a" }));
  n.alert(makeAlert({ signature: "b" }));
  n.ban({ ts: 1, ip: "10.200.0.2", action: "add", durationS: 600, reason: "scan" });
  await n.flush();
  assert.equal(ch.attempts, 9);
  assert.equal(n.stats()["rec"]!.failed, 3);
  assert.deepEqual(logs, [
    "error: Notification channel rec failed (3 tries): Error: receiver said no; further failures are counted until it works again",
  ]);
  ch.failing = false;
  n.alert(makeAlert({ signature: "c" }));
  await n.flush();
  assert.equal(logs[1], "info: Notification channel rec works again after 3 failed message(s)");
  assert.deepEqual(ch.got.map((m) => m.title), ["MEDIUM: c"]);
});

Deno.test("Notifier does not throw when a channel throws synchronously", async () => {
  const logs: string[] = [];
  const bad: NotifyChannel = {
    name: "bad",
    send() {
      throw new TypeError("boom");
    },
  };
  const good = new RecordingChannel("good");
  const n = new Notifier([{ channel: bad, policy: POLICY }, { channel: good, policy: POLICY }], {
    ratePerMinute: 0,
    queueLength: 10,
    log: (l, m) => logs.push(`${l}: ${m}`),
  });
  n.alert(makeAlert());
  await n.flush();
  assert.equal(good.got.length, 1);
  assert.equal(logs.length, 1);
  assert.match(logs[0]!, /^error: Notification channel bad failed \(1 try\): TypeError: boom/);
});

Deno.test("Notifier counts queue overflow without failing", async () => {
  const { ch, n, logs } = setup();
  const slow: NotifyChannel = {
    name: "slow",
    send: () => new Promise((r) => setTimeout(r, 5)),
  };
  const n2 = new Notifier([{ channel: slow, policy: POLICY }], {
    ratePerMinute: 0,
    queueLength: 3,
    log: (l, m) => logs.push(`${l}: ${m}`),
  });
  // Sending starts only after this synchronous loop: 3 fill the queue, 7 overflow.
  for (let i = 0; i < 10; i++) n2.alert(makeAlert());
  await n2.flush();
  assert.equal(n2.stats()["slow"]!.sent, 3);
  assert.equal(n2.stats()["slow"]!.queueOverflow, 7);
  assert.equal(logs.length, 1);
  assert.match(logs[0]!, /queue full \(3\)/);
  await n.flush();
  assert.equal(ch.got.length, 0);
});

Deno.test("Notifier in dry run sends nothing and logs what it would send", async () => {
  const logs: string[] = [];
  const ch = new RecordingChannel();
  const n = new Notifier([{ channel: ch, policy: POLICY }], {
    ratePerMinute: 0,
    queueLength: 10,
    dryRun: true,
    log: (l, m) => logs.push(`${l}: ${m}`),
  });
  n.alert(makeAlert());
  await n.flush();
  assert.equal(ch.attempts, 0);
  assert.match(
    logs[0]!,
    /^info: Dry run: would notify via rec: MEDIUM scan\.port sid=1000101: TCP port scan/,
  );
});

Deno.test("Notifier sends ban additions only by default, as a short line", async () => {
  const { ch, n } = setup();
  n.ban({ ts: 1, ip: "10.200.0.2", action: "add", durationS: 3600, reason: "TCP port scan" });
  n.ban({ ts: 2, ip: "10.200.0.2", action: "remove", durationS: null, reason: "expired" });
  await n.flush();
  assert.deepEqual(ch.got.map((m) => m.line), ["Banned 10.200.0.2 for 1h: TCP port scan"]);
});

Deno.test("formatAlert() sanitises packet text in title, body, line and JSON", () => {
  const evil = makeAlert({
    signature: "HTTP attack from \x1b[31mevil\x1b[0m\r\nFAKE: line\x07",
    evidence: { user_agent: "curl\x1b]0;owned\x07/7\r\n", uri: "/" + "a".repeat(5000) },
  });
  const m = formatAlert(evil, 0, alertToEve(evil));
  for (const text of [m.title, m.line, JSON.stringify(m.json)]) {
    // deno-lint-ignore no-control-regex
    assert.equal(/[\x00-\x1f\x7f-\x9f]|\\u00[01]/.test(text), false, text);
  }
  assert.equal(m.title, "MEDIUM: HTTP attack from evil FAKE: line");
  for (const line of m.body.split("\n")) {
    // deno-lint-ignore no-control-regex
    assert.equal(/[\x00-\x1f\x7f-\x9f]/.test(line), false);
  }
  assert.equal(m.body.split("\n").some((l) => l.startsWith("FAKE")), false);
  assert.ok(m.body.length < 2500);
});

Deno.test("RateGate with 0 per minute never holds back", () => {
  const g = new RateGate(0, 0);
  const m = formatAlert(makeAlert(), 0, {});
  for (let i = 0; i < 1000; i++) assert.deepEqual(g.offer(m, 0, "x"), [m]);
});

Deno.test("Notifier.close() ends a long retry wait and counts what it dropped", async () => {
  const { ch, n } = setup({ retryDelaysMs: [60_000] });
  ch.failing = true;
  n.alert(makeAlert({ signature: "a" }));
  n.alert(makeAlert({ signature: "b" }));
  await new Promise((r) => setTimeout(r, 20)); // "a" failed once and waits 60 s to retry.
  const t0 = performance.now();
  await n.close(50);
  assert.ok(performance.now() - t0 < 1000);
  assert.equal(ch.attempts, 1);
  assert.equal(n.stats()["rec"]!.droppedAtClose, 2);
  n.alert(makeAlert({ signature: "after close" }));
  await n.flush();
  assert.equal(ch.attempts, 1);
  assert.equal(n.stats()["rec"]!.droppedAtClose, 3);
});
