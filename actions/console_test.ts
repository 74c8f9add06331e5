import { assert, assertEquals } from "../config/_test_assert.ts";
import type { Alert } from "../detect/alert.ts";
import { ConsoleReporter, formatAlertLine, sanitizeText, useColor } from "./console.ts";

// Hand-built alert with hostile packet-derived text in the signature and evidence.
const ALERT: Alert = {
  ts: Date.UTC(2026, 11, 4, 19, 31, 8) / 1000 + 0.5,
  detector: "attack.http",
  category: "attack",
  severity: 1,
  signatureId: 1000201,
  signature: "SQL injection in GET /a?id=1\x1b[2J\x1b]0;pwned\x07 OR 1=1\r\nFAKE LINE",
  srcIp: "2001:db8::2",
  srcPort: 40100,
  destIp: "2001:db8::1",
  destPort: 80,
  proto: "TCP",
  direction: "inbound",
  offender: "2001:db8::2",
  spoofable: false,
  evidence: { uri: "/a?id=1\x1b[31m", ports: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], n: 3 },
  process: null,
};

Deno.test("formatAlertLine() gives one plain line with sanitised text", () => {
  assertEquals(
    formatAlertLine(ALERT, false),
    "2026-12-04T19:31:08Z HIGH attack.http SQL injection in GET /a?id=1 OR 1=1 FAKE LINE " +
      "[2001:db8::2]:40100 → [2001:db8::1]:80 TCP uri=/a?id=1 ports=1,2,3,4,5,6,7,8,…(10) n=3",
  );
});

Deno.test("formatAlertLine() colours the severity only when asked", () => {
  const line = formatAlertLine({ ...ALERT, severity: 3, evidence: {} }, true);
  assert(line.includes("\x1b[36mLOW\x1b[0m"), JSON.stringify(line));
  // No escape sequence from the packet survives: every ESC is one of ours (followed by [ and
  // a colour code ending in m).
  // deno-lint-ignore no-control-regex
  assertEquals(line.replace(/\x1b\[[0-9;]*m/g, "").includes("\x1b"), false);
  assertEquals(formatAlertLine(ALERT, false).includes("\x1b"), false);
  assertEquals(formatAlertLine(ALERT, false).includes("\n"), false);
});

Deno.test("formatAlertLine() caps a huge signature", () => {
  const line = formatAlertLine({ ...ALERT, signature: "A".repeat(10_000), evidence: {} }, false);
  assert(line.length < 400, String(line.length));
});

Deno.test("useColor() follows the setting, the terminal and NO_COLOR", () => {
  assertEquals(useColor("never", true), false);
  assertEquals(useColor("always", false), true);
  assertEquals(useColor("auto", true), true);
  assertEquals(useColor("auto", false), false);
  assertEquals(useColor("auto", true, "1"), false);
  assertEquals(useColor("auto", true, ""), true);
});

Deno.test("sanitizeText() strips escapes and controls and caps the length", () => {
  assertEquals(sanitizeText("\x1b[31mred\x1b[0m\x07 ok\r\nnext", 100), "red ok next");
  assertEquals(sanitizeText("abcdef", 4), "abc…");
});

Deno.test("ConsoleReporter writes one line per alert, plain when not a terminal", () => {
  const chunks: Uint8Array[] = [];
  const out = {
    writeSync: (p: Uint8Array) => (chunks.push(p.slice()), p.length),
    isTerminal: () => false,
  };
  const r = new ConsoleReporter("auto", out);
  assertEquals(r.color, false);
  r.alert(ALERT);
  r.alert(ALERT);
  const text = new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));
  assertEquals(text.split("\n").length, 3);
  assertEquals(new ConsoleReporter("always", out).color, true);
});
