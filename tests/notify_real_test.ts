/**
 * Notifications delivered to real receivers, all on loopback or private sockets, each started
 * and stopped by the test by its pid: aiosmtpd (SMTP), a Deno.serve webhook receiver, Xvfb +
 * a private D-Bus + dunst (desktop), a private rsyslogd (syslog over a unix socket, UDP, TCP).
 */

import assert from "node:assert/strict";
import { alertToEve } from "../actions/eve.ts";
import { type ChannelPolicy, Notifier, type NotifyChannel } from "../actions/notify.ts";
import { EmailChannel } from "../actions/notifiers/email.ts";
import { WebhookChannel, type WebhookTemplate } from "../actions/notifiers/webhook.ts";
import {
  DesktopChannel,
  desktopCommand,
  type DesktopOptions,
  findSessionTarget,
} from "../actions/notifiers/desktop.ts";
import { SyslogChannel, type SyslogOptions } from "../actions/notifiers/syslog.ts";
import { runCommand } from "../actions/notifiers/_run.ts";
import { formatAlert } from "../actions/notify_format.ts";
import { makeAlert } from "../actions/notifiers/_fixtures.ts";

const POLICY: ChannelPolicy = { minSeverity: 3, ratePerMinute: 0, retryDelaysMs: [] };
const SYSTEM_PYTHON = "/usr/bin/python3";

/** An alert whose packet-derived text tries terminal escapes and header/line injection. */
const EVIL = makeAlert({
  signature:
    "TCP port scan of 10.200.0.1 by 10.200.0.2 \x1b[31mRED\x1b[0m\x07\r\nBcc: victim@example.org",
  evidence: { ports: [21, 22, 23, 80], probes: 25, user_agent: "curl/8\x1b]0;title\x07 <b>x</b>" },
});
const EVIL_TITLE = "MEDIUM: TCP port scan of 10.200.0.1 by 10.200.0.2 RED Bcc: victim@example.org";

function notifierFor(channel: NotifyChannel, logs: string[], policy: Partial<ChannelPolicy> = {}) {
  return new Notifier([{ channel, policy: { ...POLICY, ...policy } }], {
    ratePerMinute: 0,
    queueLength: 10,
    log: (l, m) => logs.push(`${l}: ${m}`),
  });
}

/** True when `s` holds a control character (line breaks allowed when `allowLines`). */
function hasControl(s: string, allowLines: boolean): boolean {
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (allowLines && (c === 0x0a || c === 0x0d)) continue;
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}

/** Quoted-printable (RFC 2045) to text, for the mail body nodemailer encodes. */
function decodeQuotedPrintable(s: string): string {
  const bytes: number[] = [];
  const raw = s.replace(/=\r?\n/g, "");
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === "=" && /^[0-9A-F]{2}$/.test(raw.slice(i + 1, i + 3))) {
      bytes.push(parseInt(raw.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...new TextEncoder().encode(raw[i]!));
    }
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function waitFor(what: string, pred: () => boolean | Promise<boolean>, ms = 10_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await pred()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
}

async function canConnect(port: number): Promise<boolean> {
  try {
    (await Deno.connect({ hostname: "127.0.0.1", port })).close();
    return true;
  } catch {
    return false;
  }
}

/** A child whose stdout and stderr are collected as they come. */
interface Proc {
  child: Deno.ChildProcess;
  out(): string;
  stop(): Promise<void>;
}

function spawn(argv: string[], env: Record<string, string> = {}): Proc {
  const child = new Deno.Command(argv[0]!, {
    args: argv.slice(1),
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const dec = new TextDecoder();
  const pump = async (s: ReadableStream<Uint8Array>) => {
    for await (const chunk of s) text += dec.decode(chunk, { stream: true });
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  return {
    child,
    out: () => text,
    async stop() {
      try {
        child.kill("SIGTERM"); // By this child's pid only.
      } catch {
        // Already exited.
      }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch {
          // Exited meanwhile.
        }
      }, 3000);
      await child.status;
      clearTimeout(timer);
      await pumps;
    },
  };
}

async function have(program: string): Promise<boolean> {
  try {
    const r = await new Deno.Command("sh", {
      args: ["-c", 'command -v "$1"', "sh", program],
      stdout: "null",
      stderr: "null",
    }).output();
    return r.success;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Email

Deno.test("email: aiosmtpd receives the alert with a sanitised subject and the details", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pcap_ts_smtp_" });
  const port = freePort();
  const smtp = spawn([
    SYSTEM_PYTHON,
    "-m",
    "aiosmtpd",
    "-n",
    "-l",
    `127.0.0.1:${port}`,
    "-c",
    "aiosmtpd.handlers.Mailbox",
    `${dir}/Maildir`,
  ]);
  const logs: string[] = [];
  const channel = new EmailChannel({
    host: "127.0.0.1",
    port,
    starttls: "auto",
    implicitTls: false,
    username: "",
    password: "",
    from: "pcap_ts@localhost",
    to: ["admin@localhost", "oncall@localhost"],
    subjectPrefix: "[pcap_ts]",
    timeoutMs: 5000,
  });
  const n = notifierFor(channel, logs);
  try {
    await waitFor("aiosmtpd to listen", () => canConnect(port));
    n.alert(EVIL, 4);
    await n.flush();
    assert.deepEqual(logs, []);
    assert.equal(n.stats()["email"]!.sent, 1);
    let files: string[] = [];
    await waitFor("the mail in the Maildir", async () => {
      files = [];
      for await (const e of Deno.readDir(`${dir}/Maildir/new`)) files.push(e.name);
      return files.length > 0;
    });
    assert.equal(files.length, 1);
    const mail = await Deno.readTextFile(`${dir}/Maildir/new/${files[0]}`);
    const cut = mail.search(/\r?\n\r?\n/);
    assert.ok(cut > 0, mail);
    const head = mail.slice(0, cut);
    const body = decodeQuotedPrintable(mail.slice(cut));
    // Unfold headers (RFC 5322 folding) before looking at them.
    const headers = head.replace(/\r?\n[ \t]+/g, " ").split(/\r?\n/);
    assert.ok(headers.includes(`Subject: [pcap_ts] ${EVIL_TITLE}`), headers.join("\n"));
    assert.ok(headers.includes("To: admin@localhost, oncall@localhost"), headers.join("\n"));
    assert.ok(headers.includes("X-Pcap-Ts-Severity: 2"));
    // The injected "Bcc:" never became a header.
    assert.equal(headers.some((h) => /^bcc:/i.test(h)), false);
    assert.match(body, /Flow: TCP 10\.200\.0\.2:40100 -> 10\.200\.0\.1:22/);
    assert.match(body, /Repeats held back since the last notice: 4/);
    assert.match(body, /Evidence: ports=\[21,22,23,80\] probes=25 user_agent=curl\/8 <b>x<\/b>/);
    assert.equal(hasControl(mail, true), false);
  } finally {
    await n.close();
    await smtp.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("email: starttls = always against a server without STARTTLS fails, logged, not thrown", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pcap_ts_smtp_" });
  const port = freePort();
  const smtp = spawn([
    SYSTEM_PYTHON,
    "-m",
    "aiosmtpd",
    "-n",
    "-l",
    `127.0.0.1:${port}`,
    "-c",
    "aiosmtpd.handlers.Mailbox",
    `${dir}/Maildir`,
  ]);
  const logs: string[] = [];
  const channel = new EmailChannel({
    host: "127.0.0.1",
    port,
    starttls: "always",
    implicitTls: false,
    username: "",
    password: "",
    from: "pcap_ts@localhost",
    to: ["admin@localhost"],
    subjectPrefix: "[pcap_ts]",
    timeoutMs: 5000,
  });
  const n = notifierFor(channel, logs, { retryDelaysMs: [10] });
  try {
    await waitFor("aiosmtpd to listen", () => canConnect(port));
    n.alert(makeAlert());
    n.alert(makeAlert());
    await n.flush();
    assert.equal(n.stats()["email"]!.failed, 2);
    assert.equal(n.stats()["email"]!.retried, 2);
    assert.equal(logs.length, 1, logs.join("\n"));
    assert.match(
      logs[0]!,
      /^error: Notification channel email failed \(2 tries\): NotifyError: SMTP 127\.0\.0\.1:\d+: .*STARTTLS/,
    );
  } finally {
    await n.close();
    await smtp.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

// ---------------------------------------------------------------------------------------------
// Webhook

interface Received {
  path: string;
  headers: Headers;
  body: string;
}

async function withReceiver(
  fn: (base: string, got: Received[]) => Promise<void>,
  failFirst: Set<string> = new Set(),
) {
  const got: Received[] = [];
  const failed = new Set<string>();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      const path = new URL(req.url).pathname;
      got.push({ path, headers: req.headers, body: await req.text() });
      if (failFirst.has(path) && !failed.has(path)) {
        failed.add(path);
        return new Response("try again", { status: 500 });
      }
      return new Response("ok");
    },
  );
  try {
    await fn(`http://127.0.0.1:${server.addr.port}`, got);
  } finally {
    await server.shutdown();
  }
}

function webhook(url: string, template: WebhookTemplate, headers: string[] = []) {
  return new WebhookChannel({ url, template, headers, timeoutMs: 3000 });
}

Deno.test("webhook: each template arrives at a real HTTP receiver", async () => {
  await withReceiver(async (base, got) => {
    const logs: string[] = [];
    const templates: WebhookTemplate[] = ["json", "slack", "ntfy", "gotify"];
    const n = new Notifier(
      templates.map((t) => ({
        channel: Object.assign(webhook(`${base}/${t}`, t, ["X-Token: abc"]), {
          name: `webhook-${t}`,
        }),
        policy: POLICY,
      })),
      { ratePerMinute: 0, queueLength: 10, log: (l, m) => logs.push(`${l}: ${m}`) },
    );
    n.alert(EVIL);
    await n.flush();
    await n.close();
    assert.deepEqual(logs, []);
    const by = (p: string) => got.find((g) => g.path === p)!;

    const json = JSON.parse(by("/json").body);
    assert.equal(by("/json").headers.get("content-type"), "application/json");
    assert.equal(by("/json").headers.get("x-token"), "abc");
    assert.deepEqual(json.alert, {
      action: "allowed",
      signature_id: 1000101,
      signature: "TCP port scan of 10.200.0.1 by 10.200.0.2 RED Bcc: victim@example.org",
      category: "scan",
      severity: 2,
    });
    assert.equal(json.event_type, "alert");
    assert.equal(json.timestamp, "2026-12-04T19:31:08.123456+0000");
    assert.equal(json.src_ip, "10.200.0.2");
    assert.equal(json.dest_port, 22);
    assert.equal(json.pcap_ts.detector, "scan.port");
    assert.equal(json.pcap_ts.evidence.user_agent, "curl/8 <b>x</b>");

    const slack = JSON.parse(by("/slack").body);
    assert.deepEqual(Object.keys(slack), ["text"]);
    assert.ok(slack.text.startsWith(`pcap_ts ${EVIL_TITLE}\nSeverity: 2 (medium)`), slack.text);
    assert.ok(slack.text.includes("user_agent=curl/8 &lt;b&gt;x&lt;/b&gt;"), slack.text);

    const ntfy = by("/ntfy");
    assert.equal(ntfy.headers.get("title"), `pcap_ts ${EVIL_TITLE}`);
    assert.equal(ntfy.headers.get("priority"), "4");
    assert.equal(ntfy.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.ok(ntfy.body.startsWith("Severity: 2 (medium)  Category: scan  Detector: scan.port"));
    assert.ok(ntfy.body.includes("\nFlow: TCP 10.200.0.2:40100 -> 10.200.0.1:22\n"));

    const gotify = JSON.parse(by("/gotify").body);
    assert.deepEqual(Object.keys(gotify), ["title", "message", "priority"]);
    assert.equal(gotify.title, `pcap_ts ${EVIL_TITLE}`);
    assert.equal(gotify.priority, 5);
    assert.ok(gotify.message.includes("Offender: 10.200.0.2  Direction: inbound"));
    for (const g of got) assert.equal(hasControl(g.body, true), false, g.body);
  });
});

Deno.test("webhook: a 500 on the first try is retried after the backoff and then succeeds", async () => {
  await withReceiver(async (base, got) => {
    const logs: string[] = [];
    const n = notifierFor(webhook(`${base}/hook`, "json"), logs, { retryDelaysMs: [200, 1000] });
    const t0 = performance.now();
    n.alert(makeAlert());
    await n.flush();
    const took = performance.now() - t0;
    await n.close();
    assert.equal(got.length, 2);
    assert.equal(got[0]!.body, got[1]!.body);
    assert.ok(took >= 195 && took < 1000, `took ${took} ms`);
    assert.deepEqual(n.stats()["webhook"], {
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
  }, new Set(["/hook"]));
});

Deno.test("webhook: a receiver that is down fails the channel once, logged with the error", async () => {
  const port = freePort(); // Nobody listens there.
  const logs: string[] = [];
  const n = notifierFor(webhook(`http://127.0.0.1:${port}/hook?token=secret`, "json"), logs, {
    retryDelaysMs: [10, 10],
  });
  n.alert(makeAlert());
  n.alert(makeAlert());
  await n.flush();
  await n.close();
  assert.equal(n.stats()["webhook"]!.failed, 2);
  assert.equal(logs.length, 1);
  assert.match(
    logs[0]!,
    new RegExp(
      `^error: Notification channel webhook failed \\(3 tries\\): NotifyError: POST http://127\\.0\\.0\\.1:${port}/hook: `,
    ),
  );
  assert.equal(logs[0]!.includes("secret"), false);
});

// ---------------------------------------------------------------------------------------------
// Desktop

const desktopTools = [
  "Xvfb",
  "dbus-daemon",
  "dunst",
  "dunstctl",
  "dbus-monitor",
  "notify-send",
  "setpriv",
];
const missingDesktop: string[] = [];
for (const t of desktopTools) if (!(await have(t))) missingDesktop.push(t);
if (missingDesktop.length > 0) {
  console.log(`Skipping the desktop tests: ${missingDesktop.join(", ")} not installed`);
}

/** Xvfb + a private session bus + dunst, optionally all run as another user. */
async function startDesktop(asUser: number | null) {
  const dir = await Deno.makeTempDir({ prefix: "pcap_ts_desktop_" });
  // A private stand-in for /run/user/UID, where a login puts the user's bus.
  const runUserDir = `${dir}/run/user`;
  const userDir = `${runUserDir}/${asUser ?? 0}`;
  await Deno.mkdir(userDir, { recursive: true, mode: 0o700 });
  if (asUser !== null) {
    for (const d of [dir, `${dir}/run`, runUserDir, userDir]) await Deno.chown(d, asUser, asUser);
  }
  const as = (argv: string[]) =>
    asUser === null
      ? argv
      : ["setpriv", `--reuid=${asUser}`, `--regid=${asUser}`, "--init-groups", "--", ...argv];
  const procs: Proc[] = [];
  const stopAll = async () => {
    for (const p of procs.reverse()) await p.stop();
    await Deno.remove(dir, { recursive: true });
  };
  try {
    const xvfb = spawn([
      "Xvfb",
      "-displayfd",
      "1",
      "-nolisten",
      "tcp",
      "-ac",
      "-screen",
      "0",
      "640x480x24",
    ]);
    procs.push(xvfb);
    await waitFor("Xvfb to choose a display", () => /^\d+\n/.test(xvfb.out()));
    const display = `:${xvfb.out().split("\n")[0]}`;
    const bus = `unix:path=${userDir}/bus`;
    procs.push(spawn(as(["dbus-daemon", "--session", "--nofork", `--address=${bus}`])));
    await waitFor("the session bus socket", async () => {
      try {
        return (await Deno.stat(`${userDir}/bus`)).isSocket === true;
      } catch {
        return false;
      }
    });
    const env = {
      DISPLAY: display,
      DBUS_SESSION_BUS_ADDRESS: bus,
      HOME: dir,
      XDG_RUNTIME_DIR: dir,
    };
    procs.push(spawn(as(["dunst"]), env));
    await waitFor("dunst to own org.freedesktop.Notifications", async () => {
      const r = await new Deno.Command(as(["dbus-send"])[0]!, {
        args: [
          ...as(["dbus-send"]).slice(1),
          `--bus=${bus}`,
          "--print-reply",
          "--dest=org.freedesktop.DBus",
          "/org/freedesktop/DBus",
          "org.freedesktop.DBus.NameHasOwner",
          "string:org.freedesktop.Notifications",
        ],
        stdout: "piped",
        stderr: "null",
      }).output();
      return new TextDecoder().decode(r.stdout).includes("boolean true");
    });
    const monitor = spawn(
      as([
        "dbus-monitor",
        `--address`,
        bus,
        "interface='org.freedesktop.Notifications',member='Notify'",
      ]),
    );
    procs.push(monitor);
    await waitFor("dbus-monitor to attach", () => monitor.out().includes("NameAcquired"));
    return { bus, env, monitor, as, stopAll, runUserDir };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

const desktopOptions = (busAddress: string): DesktopOptions => ({
  appName: "pcap_ts",
  urgency: ["critical", "normal", "low"],
  expireMs: 0,
  busAddress,
  user: "",
  timeoutMs: 5000,
  notifySend: "notify-send",
});

async function dunstHistory(desk: { bus: string; as: (a: string[]) => string[] }) {
  const argv = desk.as(["dunstctl", "history"]);
  const r = await runCommand({
    argv,
    env: { DBUS_SESSION_BUS_ADDRESS: desk.bus, PATH: "/usr/bin:/bin" },
    clearEnv: true,
    timeoutMs: 5000,
  });
  // deno-lint-ignore no-explicit-any
  const h = JSON.parse(r.stdout) as { data: any[][] };
  return (h.data[0] ?? []).map((n) => ({
    summary: n.summary.data as string,
    body: n.body.data as string,
    appname: n.appname.data as string,
    category: n.category.data as string,
  }));
}

Deno.test({
  name: "desktop: notify-send reaches dunst on a private bus (bus_address)",
  ignore: missingDesktop.length > 0,
  async fn() {
    const desk = await startDesktop(null);
    try {
      const logs: string[] = [];
      const n = notifierFor(new DesktopChannel(desktopOptions(desk.bus)), logs);
      n.alert(EVIL);
      n.alert(makeAlert({ severity: 1, signature: "-rf / looks like an option" }));
      await n.flush();
      await n.close();
      assert.deepEqual(logs, []);
      assert.equal(n.stats()["desktop"]!.sent, 2);
      await waitFor(
        "dbus-monitor to show the Notify calls",
        () => (desk.monitor.out().match(/member=Notify/g) ?? []).length >= 2,
      );
      // One block per Notify call: its strings and its urgency hint (0 low, 1 normal, 2 critical).
      const calls = desk.monitor.out().split(/^method call /m).filter((b) =>
        b.includes("member=Notify")
      );
      const call = (title: string) => calls.find((b) => b.includes(`string "${title}"`));
      const urgency = (b: string | undefined) =>
        /string "urgency"\s+variant\s+byte (\d)/.exec(b ?? "")?.[1];
      assert.ok(call(EVIL_TITLE) !== undefined, calls.join("\n"));
      assert.ok(call(EVIL_TITLE)!.includes('string "pcap_ts"'));
      assert.equal(urgency(call(EVIL_TITLE)), "1");
      assert.equal(urgency(call("HIGH: -rf / looks like an option")), "2");
      await runCommand({
        argv: ["dunstctl", "close-all"],
        env: { DBUS_SESSION_BUS_ADDRESS: desk.bus },
        timeoutMs: 5000,
      });
      const hist = await dunstHistory(desk);
      const evil = hist.find((h) => h.summary === EVIL_TITLE);
      assert.ok(evil !== undefined, JSON.stringify(hist));
      assert.equal(evil.appname, "pcap_ts");
      assert.equal(evil.category, "network.security");
      assert.ok(evil.body.startsWith("Severity: 2 (medium)"), evil.body);
      // Markup from the packet was escaped: dunst shows it as text, not bold.
      assert.ok(evil.body.includes("user_agent=curl/8 &lt;b&gt;x&lt;/b&gt;"), evil.body);
      assert.equal(hasControl(evil.body, true), false);
      assert.ok(hist.some((h) => h.summary === "HIGH: -rf / looks like an option"));
    } finally {
      await desk.stopAll();
    }
  },
});

Deno.test({
  name: "desktop: as root, setpriv runs notify-send as the session's user (nobody)",
  ignore: missingDesktop.length > 0 || Deno.uid() !== 0,
  async fn() {
    const desk = await startDesktop(65534);
    try {
      const m = formatAlert(makeAlert(), 0, alertToEve(makeAlert()));
      const cmd = desktopCommand(desktopOptions(""), m, {
        busAddress: desk.bus,
        uid: 65534,
        gid: 65534,
        via: "test",
      });
      assert.deepEqual(cmd.argv.slice(0, 5), [
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--init-groups",
        "--",
      ]);
      await runCommand({ argv: cmd.argv, env: cmd.env, clearEnv: true, timeoutMs: 5000 });
      await waitFor(
        "dbus-monitor to show the Notify call",
        () => desk.monitor.out().includes("member=Notify"),
      );
      assert.ok(
        desk.monitor.out().includes('string "MEDIUM: TCP port scan of 10.200.0.1 by 10.200.0.2"'),
      );
      // The same command without setpriv (as root) is refused by the user's bus.
      await assert.rejects(
        runCommand({ argv: cmd.argv.slice(5), env: cmd.env, clearEnv: true, timeoutMs: 5000 }),
        /notify-send exited with status/,
      );
      // The whole channel, as root with no bus given: it finds the session under the run-user
      // directory, by scanning it and by user name, and runs notify-send as its owner.
      for (const user of ["", "nobody"]) {
        const logs: string[] = [];
        const ch = new DesktopChannel({ ...desktopOptions(""), user, runUserDir: desk.runUserDir });
        assert.deepEqual(await findSessionTarget(ch.options), {
          busAddress: desk.bus,
          uid: 65534,
          gid: 65534,
          via: user === "" ? "/run/user" : "user",
        });
        const n = notifierFor(ch, logs);
        n.alert(makeAlert({ signature: `found by ${user === "" ? "scan" : "user name"}` }));
        await n.flush();
        await n.close();
        assert.deepEqual(logs, []);
        const title = `MEDIUM: found by ${user === "" ? "scan" : "user name"}`;
        await waitFor(
          `dbus-monitor to show "${title}"`,
          () => desk.monitor.out().includes(`string "${title}"`),
        );
      }
    } finally {
      await desk.stopAll();
    }
  },
});

// ---------------------------------------------------------------------------------------------
// Syslog

const RFC5424 =
  /^<(\d{1,3})>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:\d\d) \S+ (\S+) (\S+) (\S+) (-|\[.*?[^\\]\]) (.*)$/;

async function startRsyslog() {
  const dir = await Deno.makeTempDir({ prefix: "pcap_ts_rsyslog_" });
  const udp = freePort();
  const tcp = freePort();
  await Deno.writeTextFile(
    `${dir}/rsyslog.conf`,
    `global(workDirectory="${dir}")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="${dir}/log.sock" UseSpecialParser="off" ParseHostname="on")
module(load="imudp")
input(type="imudp" address="127.0.0.1" port="${udp}")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="${tcp}")
template(name="fields" type="string" string="%inputname%|%protocol-version%|%pri%|%app-name%|%msgid%|%structured-data%|%msg%|RAW=%rawmsg%\\n")
*.* action(type="omfile" file="${dir}/out.log" template="fields")
`,
  );
  const proc = spawn(["rsyslogd", "-n", "-f", `${dir}/rsyslog.conf`, "-i", `${dir}/rsyslogd.pid`]);
  await waitFor("rsyslogd to listen", async () => {
    try {
      return (await Deno.stat(`${dir}/log.sock`)).isSocket === true && await canConnect(tcp);
    } catch {
      return false;
    }
  });
  const lines = async () => {
    try {
      return (await Deno.readTextFile(`${dir}/out.log`)).split("\n").filter((l) => l !== "");
    } catch {
      return [];
    }
  };
  return {
    dir,
    udp,
    tcp,
    lines,
    async stop() {
      await proc.stop();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

const syslogOptions = (over: Partial<SyslogOptions>): SyslogOptions => ({
  transport: "unix",
  socketPath: "/dev/log",
  host: "127.0.0.1",
  port: 514,
  facility: "daemon",
  appName: "pcap_ts",
  timeoutMs: 3000,
  ...over,
});

function assertSyslogLine(line: string, input: string) {
  const [inputname, version, pri, app, msgid, sd, msg, raw] = line.split("|");
  assert.equal(inputname, input);
  assert.equal(version, "1"); // rsyslog parsed it as RFC 5424
  assert.equal(pri, "28"); // daemon (3) * 8 + warning (4) for a medium alert
  assert.equal(app, "pcap_ts");
  assert.equal(msgid, "alert");
  assert.ok(sd!.startsWith('[pcap_ts@32473 detector="scan.port" sid="1000101"'), sd);
  assert.ok(sd!.includes('offender="10.200.0.2"'), sd);
  assert.ok(
    msg!.includes(
      "MEDIUM scan.port sid=1000101: TCP port scan of 10.200.0.1 by 10.200.0.2 RED Bcc: victim@example.org",
    ),
    msg,
  );
  const m = RFC5424.exec(raw!.replace(/^RAW=/, ""));
  assert.ok(m !== null, raw);
  assert.equal(m[1], "28");
}

Deno.test({
  name: "syslog: a private rsyslogd receives RFC 5424 lines over unix (logger), UDP and TCP",
  ignore: !(await have("rsyslogd")) || !(await have("logger")),
  async fn() {
    const rs = await startRsyslog();
    try {
      const logs: string[] = [];
      const channels = [
        new SyslogChannel(
          syslogOptions({ socketPath: `${rs.dir}/log.sock`, unixSender: "logger" }),
        ),
        new SyslogChannel(syslogOptions({ transport: "udp", port: rs.udp })),
        new SyslogChannel(syslogOptions({ transport: "tcp", port: rs.tcp })),
      ];
      for (const ch of channels) {
        const n = notifierFor(ch, logs);
        n.alert(EVIL);
        await n.flush();
        await n.close();
      }
      assert.deepEqual(logs, []);
      await waitFor("three lines in rsyslog's file", async () => (await rs.lines()).length >= 3);
      const lines = await rs.lines();
      assert.equal(lines.length, 3, lines.join("\n"));
      for (const input of ["imuxsock", "imudp", "imtcp"]) {
        const line = lines.find((l) => l.startsWith(`${input}|`));
        assert.ok(line !== undefined, `${input}: ${lines.join("\n")}`);
        assertSyslogLine(line, input);
      }
      for (const l of lines) assert.equal(hasControl(l, false), false);
    } finally {
      await rs.stop();
    }
  },
});

Deno.test({
  name: "syslog: native unix datagram (deno --unstable-net) reaches rsyslogd in RFC 5424 form",
  ignore: !(await have("rsyslogd")),
  async fn() {
    const rs = await startRsyslog();
    try {
      const script = `
import { SyslogChannel } from "./actions/notifiers/syslog.ts";
import { formatAlert } from "./actions/notify_format.ts";
import { alertToEve } from "./actions/eve.ts";
import { makeAlert } from "./actions/notifiers/_fixtures.ts";
const ch = new SyslogChannel({ transport: "unix", socketPath: ${
        JSON.stringify(`${rs.dir}/log.sock`)
      },
  host: "", port: 0, facility: "daemon", appName: "pcap_ts", timeoutMs: 3000, unixSender: "native" });
const a = makeAlert({ signature: ${JSON.stringify(EVIL.signature)} });
await ch.send(formatAlert(a, 0, alertToEve(a)));
ch.close();
console.log(ch.unixSender);
`;
      const out = await runCommand({
        argv: [Deno.execPath(), "eval", "--unstable-net", script],
        timeoutMs: 60_000,
      });
      assert.equal(out.stdout.trim(), "native");
      await waitFor("the line in rsyslog's file", async () => (await rs.lines()).length >= 1);
      const lines = await rs.lines();
      assert.equal(lines.length, 1);
      assertSyslogLine(lines[0]!, "imuxsock");
    } finally {
      await rs.stop();
    }
  },
});

Deno.test("syslog: no daemon on the socket is a logged failure (logger --socket-errors=on)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pcap_ts_nolog_" });
  try {
    const logs: string[] = [];
    const n = notifierFor(
      new SyslogChannel(syslogOptions({ socketPath: `${dir}/missing.sock`, unixSender: "logger" })),
      logs,
    );
    n.alert(makeAlert());
    await n.flush();
    await n.close();
    assert.equal(n.stats()["syslog"]!.failed, 1);
    assert.equal(logs.length, 1);
    assert.match(
      logs[0]!,
      /^error: Notification channel syslog failed \(1 try\): NotifyError: logger exited with status 1: logger: socket .*missing\.sock: No such file or directory/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
