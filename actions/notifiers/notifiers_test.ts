import assert from "node:assert/strict";
import { alertToEve } from "../eve.ts";
import { formatAlert, formatBan } from "../notify_format.ts";
import { makeAlert } from "./_fixtures.ts";
import {
  desktopCommand,
  type DesktopOptions,
  findSessionTarget,
  notifySendArgv,
  parseLoginctlSessions,
} from "./desktop.ts";
import { emailSubject, transportOptions } from "./email.ts";
import { headerValue, parseHeaders, safeUrl, scrubUrls, webhookRequest } from "./webhook.ts";
import {
  capBytes,
  formatRfc5424,
  loggerArgv,
  sdValue,
  structuredData,
  SyslogChannel,
  type SyslogOptions,
  syslogPriority,
} from "./syslog.ts";

const alert = makeAlert();
const MSG = formatAlert(alert, 0, alertToEve(alert));

const DESKTOP: DesktopOptions = {
  appName: "pcap_ts",
  urgency: ["critical", "normal", "low"],
  expireMs: 0,
  busAddress: "",
  user: "",
  timeoutMs: 10_000,
  notifySend: "notify-send",
};

// Desktop

Deno.test("notifySendArgv() builds the exact argv, title after --, body markup escaped", () => {
  const m = formatAlert(
    makeAlert({ severity: 1, evidence: { uri: "/<script>&x" } }),
    0,
    alertToEve(alert),
  );
  assert.deepEqual(notifySendArgv({ ...DESKTOP, expireMs: 8000 }, m), [
    "notify-send",
    "--app-name=pcap_ts",
    "--urgency=critical",
    "--category=network.security",
    "--expire-time=8000",
    "--",
    "HIGH: TCP port scan of 10.200.0.1 by 10.200.0.2",
    "Severity: 1 (high)  Category: scan  Detector: scan.port  Signature id: 1000101\n" +
    "Time: 2026-12-04T19:31:08.123Z\n" +
    "Offender: 10.200.0.2  Direction: inbound\n" +
    "Flow: TCP 10.200.0.2:40100 -&gt; 10.200.0.1:22\n" +
    "Evidence: uri=/&lt;script&gt;&amp;x",
  ]);
});

Deno.test("desktopCommand() wraps notify-send in setpriv for another user", () => {
  const target = { busAddress: "unix:path=/run/user/1000/bus", uid: 1000, gid: 1001, via: "x" };
  const cmd = desktopCommand(DESKTOP, MSG, target);
  assert.deepEqual(cmd.argv.slice(0, 7), [
    "setpriv",
    "--reuid=1000",
    "--regid=1001",
    "--init-groups",
    "--",
    "notify-send",
    "--app-name=pcap_ts",
  ]);
  assert.deepEqual(cmd.env, {
    PATH: "/usr/local/bin:/usr/bin:/bin",
    DBUS_SESSION_BUS_ADDRESS: "unix:path=/run/user/1000/bus",
    XDG_RUNTIME_DIR: "/run/user/1000",
  });
  const self = desktopCommand(DESKTOP, MSG, { ...target, uid: null, gid: null });
  assert.equal(self.argv[0], "notify-send");
  assert.equal(self.env["XDG_RUNTIME_DIR"], undefined);
});

Deno.test("parseLoginctlSessions() reads session ids and uids", () => {
  const out = "     c1 1000 alice seat0 tty2\n      5    0 root        pts/0\n\n";
  assert.deepEqual(parseLoginctlSessions(out), [["c1", 1000], ["5", 0]]);
});

Deno.test("findSessionTarget() uses bus_address as given, as this process", async () => {
  assert.deepEqual(await findSessionTarget({ ...DESKTOP, busAddress: "unix:path=/tmp/b" }), {
    busAddress: "unix:path=/tmp/b",
    uid: null,
    gid: null,
    via: "bus_address",
  });
});

// Email

Deno.test("emailSubject() and transportOptions() follow the settings", () => {
  assert.equal(
    emailSubject({ subjectPrefix: "[pcap_ts]" }, MSG),
    "[pcap_ts] MEDIUM: TCP port scan of 10.200.0.1 by 10.200.0.2",
  );
  const base = {
    host: "mail.example.org",
    port: 587,
    starttls: "always" as const,
    implicitTls: false,
    username: "u",
    password: "p",
    from: "a@b",
    to: ["c@d"],
    subjectPrefix: "",
    timeoutMs: 30_000,
  };
  assert.deepEqual(transportOptions(base), {
    host: "mail.example.org",
    port: 587,
    secure: false,
    requireTLS: true,
    ignoreTLS: false,
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 30_000,
    disableFileAccess: true,
    disableUrlAccess: true,
    auth: { user: "u", pass: "p" },
  });
  const never = transportOptions({ ...base, starttls: "never", username: "" });
  assert.equal(never["ignoreTLS"], true);
  assert.equal(never["requireTLS"], false);
  assert.equal("auth" in never, false);
});

// Webhook

Deno.test("webhookRequest() gotify and ntfy bodies and headers are exact", () => {
  const ban = formatBan({ ts: 0, ip: "10.200.0.2", action: "add", durationS: 600, reason: "scan" });
  assert.deepEqual(
    webhookRequest({ url: "http://h/x", template: "gotify", headers: [], timeoutMs: 1 }, ban),
    {
      url: "http://h/x",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        title: "pcap_ts Banned 10.200.0.2 for 10m: scan",
        message: "Time: 1970-01-01T00:00:00.000Z",
        priority: 5,
      }),
    },
  );
  assert.deepEqual(
    webhookRequest(
      { url: "http://h/x", template: "ntfy", headers: ["Tags: x"], timeoutMs: 1 },
      ban,
    ),
    {
      url: "http://h/x",
      headers: {
        "Content-Type": "text/plain; charset=utf-8",
        Title: "pcap_ts Banned 10.200.0.2 for 10m: scan",
        Priority: "4",
        Tags: "x",
      },
      body: "Time: 1970-01-01T00:00:00.000Z",
    },
  );
});

Deno.test("headerValue() keeps ASCII and encodes the rest as an RFC 2047 word", () => {
  assert.equal(headerValue("plain text"), "plain text");
  assert.equal(headerValue("Grüße"), "=?UTF-8?B?R3LDvMOfZQ==?=");
});

Deno.test("parseHeaders() reads Name: value and rejects a line without a name", () => {
  assert.deepEqual(parseHeaders(["Authorization: Bearer a:b", "X-A:1"]), {
    Authorization: "Bearer a:b",
    "X-A": "1",
  });
  assert.throws(() => parseHeaders(["no colon"]), /notify\.webhook\.headers entry "no colon"/);
  assert.throws(() => parseHeaders(["bad name: x"]), /expected "Name: value"/);
});

Deno.test("safeUrl() and scrubUrls() drop credentials, query and fragment", () => {
  assert.equal(
    safeUrl("https://user:pw@h.example:8443/p/q?token=s#f"),
    "https://h.example:8443/p/q",
  );
  assert.equal(
    scrubUrls("error sending request for url (http://127.0.0.1:9/h?token=s): refused"),
    "error sending request for url (http://127.0.0.1:9/h): refused",
  );
});

// Syslog

const SYSLOG: SyslogOptions = {
  transport: "unix",
  socketPath: "/dev/log",
  host: "127.0.0.1",
  port: 514,
  facility: "local3",
  appName: "pcap_ts",
  timeoutMs: 1000,
};

Deno.test("formatRfc5424() builds the exact line", () => {
  const line = formatRfc5424(SYSLOG, MSG, {
    hostname: "host1",
    procId: 4242,
    nowMs: Date.UTC(2026, 11, 4, 19, 31, 8, 500),
  });
  assert.equal(
    line,
    "<156>1 2026-12-04T19:31:08.500Z host1 pcap_ts 4242 alert " +
      '[pcap_ts@32473 detector="scan.port" sid="1000101" category="scan" severity="2" ' +
      'src="10.200.0.2" dst="10.200.0.1" offender="10.200.0.2"] ' +
      "MEDIUM scan.port sid=1000101: TCP port scan of 10.200.0.1 by 10.200.0.2 " +
      "(TCP 10.200.0.2:40100 -> 10.200.0.1:22, offender 10.200.0.2)",
  );
});

Deno.test("syslogPriority() is facility * 8 + mapped severity and names a bad facility", () => {
  assert.equal(syslogPriority("daemon", 1), 26);
  assert.equal(syslogPriority("daemon", 2), 28);
  assert.equal(syslogPriority("local7", 3), 189);
  assert.throws(() => syslogPriority("local9", 1), /notify\.syslog\.facility = "local9"/);
  assert.throws(() => new SyslogChannel({ ...SYSLOG, facility: "nope" }), /facility/);
});

Deno.test("sdValue() escapes quote, backslash and bracket; structuredData() drops bad names", () => {
  assert.equal(sdValue('a"b\\c]d'), 'a\\"b\\\\c\\]d');
  const m = { ...MSG, fields: { 'x"y': "1", "": "2", ok: "]" } };
  assert.equal(structuredData(m), '[pcap_ts@32473 xy="1" ok="\\]"]');
  assert.equal(structuredData({ ...MSG, fields: {} }), "-");
});

Deno.test("capBytes() never splits a UTF-8 character", () => {
  assert.equal(capBytes("aé€", 4), "aé");
  assert.equal(capBytes("aé€", 6), "aé€");
});

Deno.test("loggerArgv() builds the exact logger command", () => {
  const ban = formatBan({ ts: 0, ip: "10.0.0.9", action: "add", durationS: 60, reason: "x" });
  assert.deepEqual(loggerArgv(SYSLOG, ban, 7), [
    "logger",
    "--socket-errors=on",
    "-u",
    "/dev/log",
    "--rfc5424=notq",
    "-p",
    "local3.warning",
    "-t",
    "pcap_ts",
    "--id=7",
    "--msgid",
    "ban",
    "--sd-id",
    "pcap_ts@32473",
    "--sd-param",
    'ip="10.0.0.9"',
    "--sd-param",
    'action="add"',
    "--sd-param",
    'duration_s="60"',
    "--",
    "Banned 10.0.0.9 for 1m: x",
  ]);
});
