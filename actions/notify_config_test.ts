import assert from "node:assert/strict";
import { parseConfigWith } from "../config/load.ts";
import { renderDefaultConfig } from "../config/render.ts";
import {
  desktopSection,
  emailSection,
  notifierFromConfig,
  notifySection,
  retryDelaysMs,
  syslogSection,
  webhookSection,
} from "./notify_config.ts";
import { RESPONSE_RULE_KEY, SUPPRESS_SECTION } from "./policy_config.ts";
import { decide, rulesFromRecords } from "./policy.ts";
import { makeAlert } from "./notifiers/_fixtures.ts";

const SECTIONS = {
  response: {
    doc: "Response (test copy: the real section is config's).",
    keys: { rule: RESPONSE_RULE_KEY },
  },
  "response.suppress": SUPPRESS_SECTION,
  notify: notifySection,
  "notify.desktop": desktopSection,
  "notify.email": emailSection,
  "notify.webhook": webhookSection,
  "notify.syslog": syslogSection,
} as const;

const notifyConfig = (c: ReturnType<typeof parseConfigWith<typeof SECTIONS>>) => ({
  notify: c.notify,
  desktop: c["notify.desktop"],
  email: c["notify.email"],
  webhook: c["notify.webhook"],
  syslog: c["notify.syslog"],
});

Deno.test("notify sections validate a full TOML file", () => {
  const c = parseConfigWith(
    `
[[response.rule]]
detector = "scan.ping"
actions = ["log"]

[[response.rule]]
category = "scan"
min_severity = 2
actions = ["log", "notify", "ban"]
ban_duration = "2h"

[response.suppress]
interval = "10m"

[notify]
rate_limit = 5

[notify.desktop]
enabled = false

[notify.email]
enabled = true
host = "127.0.0.1"
port = 2525
starttls = "never"
to = ["root@localhost"]

[notify.webhook]
url = "http://127.0.0.1:9000/hook"
template = "ntfy"
headers = ["Authorization: Bearer x"]

[notify.syslog]
enabled = true
transport = "udp"
port = 5514
facility = "local3"
`,
    "test.toml",
    SECTIONS,
  );
  const rules = rulesFromRecords(c.response.rule);
  assert.equal(rules.length, 2);
  assert.equal(decide(makeAlert({ detector: "scan.ping" }), rules).ban, false);
  assert.equal(decide(makeAlert(), rules).banDurationS, 7200);
  assert.equal(c["response.suppress"].interval, 600);
  assert.equal(c["notify.email"].port, 2525);
  assert.deepEqual(c["notify.email"].to, ["root@localhost"]);
  const n = notifierFromConfig(notifyConfig(c), { tickMs: 0 });
  assert.deepEqual(n.channels, ["email", "webhook", "syslog"]);
});

Deno.test("notify sections reject a bad template and name the key", () => {
  assert.throws(
    () => parseConfigWith('[notify.webhook]\ntemplate = "teams"\n', "t.toml", SECTIONS),
    /notify\.webhook\.template/,
  );
});

Deno.test("notify defaults: desktop on, the rest off; default config renders every key", () => {
  const c = parseConfigWith("", "defaults", SECTIONS);
  const n = notifierFromConfig(notifyConfig(c), { tickMs: 0 });
  assert.deepEqual(n.channels, ["desktop"]);
  const text = renderDefaultConfig(SECTIONS);
  for (const key of ["[notify.webhook]", 'url = ""', "[[response.rule]]", "ban_spoofable"]) {
    assert.ok(text.includes(key), key);
  }
  // The rendered default config reads back to the same values.
  assert.deepEqual(parseConfigWith(text, "rendered", SECTIONS), c);
});

Deno.test("notifierFromConfig() reads password_file and reports an unreadable one", () => {
  const c = parseConfigWith(
    '[notify.email]\nenabled = true\nto = ["a@b"]\npassword_file = "/nonexistent/pw"\n',
    "t.toml",
    SECTIONS,
  );
  assert.throws(
    () => notifierFromConfig(notifyConfig(c), { tickMs: 0 }),
    /Cannot read notify\.email\.password_file = "\/nonexistent\/pw"/,
  );
  const n = notifierFromConfig(notifyConfig(c), { tickMs: 0, readTextFile: () => "s3cret\n" });
  assert.deepEqual(n.channels, ["desktop", "email"]);
});

Deno.test("retryDelaysMs() gives 1 s, 5 s, 25 s for 3 retries from 1 s", () => {
  assert.deepEqual(retryDelaysMs(3, 1), [1000, 5000, 25000]);
  assert.deepEqual(retryDelaysMs(0, 1), []);
});

Deno.test("notifierFromConfig() from TOML posts an alert to a real loopback receiver", async () => {
  const bodies: { path: string; body: string; auth: string | null }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    bodies.push({
      path: new URL(req.url).pathname,
      body: await req.text(),
      auth: req.headers.get("authorization"),
    });
    return new Response("ok");
  });
  try {
    const c = parseConfigWith(
      `[notify.desktop]\nenabled = false\n[notify.webhook]\n` +
        `url = "http://127.0.0.1:${server.addr.port}/hook"\ntemplate = "gotify"\n` +
        `headers = ["Authorization: Bearer t0k"]\nmin_severity = 1\n`,
      "t.toml",
      SECTIONS,
    );
    const n = notifierFromConfig(notifyConfig(c), { tickMs: 0 });
    n.alert(makeAlert({ severity: 2 })); // Below min_severity 1: not sent.
    n.alert(makeAlert({ severity: 1, signature: "SQL injection" }));
    await n.flush();
    await n.close();
    assert.equal(bodies.length, 1);
    assert.equal(bodies[0]!.path, "/hook");
    assert.equal(bodies[0]!.auth, "Bearer t0k");
    const body = JSON.parse(bodies[0]!.body);
    assert.equal(body.title, "pcap_ts HIGH: SQL injection");
    assert.equal(body.priority, 8);
  } finally {
    await server.shutdown();
  }
});
