import { assert, assertEquals, assertThrows } from "./_test_assert.ts";
import {
  ConfigError,
  defaultConfig,
  parseCidr,
  parseConfig,
  parseConfigWith,
  parseDuration,
  renderDefaultConfig,
  SECTIONS,
  type SectionSpec,
} from "./mod.ts";
import { captureSection, outputSection } from "./capture.ts";
import { formatDuration } from "./duration.ts";
import { locateLines } from "./_lines.ts";
import { editDistance, nearest } from "./_suggest.ts";

// Test-only specs: a nested section and a records key, like the response/notify sections.
const response = {
  doc: "Test response section.",
  keys: {
    dry_run: { type: "boolean", default: false, doc: "Decide, change nothing." },
    ban_duration: { type: "duration", default: 3600, min: 60, max: 604800, doc: "Ban length." },
    allowlist: { type: "cidrs", default: ["127.0.0.0/8", "::1"], doc: "Never banned." },
    max_bans: { type: "integer", default: 1000, min: 1, max: 100000, doc: "Cap." },
    score: { type: "number", default: 0.5, min: 0, max: 1, doc: "Threshold." },
    rule: {
      type: "records",
      doc: "Routing rules.",
      fields: {
        category: {
          type: "string",
          default: "scan",
          choices: ["scan", "attack", "exfiltration", "anomaly"],
          doc: "Which alerts.",
        },
        action: { type: "strings", default: ["log"], doc: "What to do." },
        min_severity: { type: "integer", default: 3, min: 1, max: 3, doc: "Severity." },
      },
      default: [{ category: "scan", action: ["log", "ban"], min_severity: 2 }],
    },
  },
} as const satisfies SectionSpec;
const webhook = {
  doc: "Test webhook section.",
  keys: {
    url: { type: "string", default: "", doc: "Where to POST." },
    timeout: { type: "duration", default: 5, doc: "Timeout." },
  },
} as const satisfies SectionSpec;
const emptyRecords = {
  doc: "Records without defaults.",
  keys: {
    hook: {
      type: "records",
      doc: "Hooks.",
      fields: { name: { type: "string", default: "x", doc: "Name." } },
      default: [],
    },
  },
} as const satisfies SectionSpec;
// The machinery is tested on its own registry, independent of what the real one holds.
const TEST_SECTIONS = {
  capture: captureSection,
  output: outputSection,
  response,
  "notify.webhook": webhook,
  "extra.deep.hooks": emptyRecords,
} as const;

function problemsOf(text: string): string[] {
  try {
    parseConfigWith(text, "t.toml", TEST_SECTIONS);
  } catch (e) {
    assert(e instanceof ConfigError, `not a ConfigError: ${e}`);
    assertEquals(e.name, "ConfigError");
    return e.problems.map((p) => p.message);
  }
  throw new Error("expected a ConfigError");
}

Deno.test("parseDuration() reads units, combinations and plain seconds", () => {
  assertEquals(parseDuration("90s"), 90);
  assertEquals(parseDuration("10m"), 600);
  assertEquals(parseDuration("1h"), 3600);
  assertEquals(parseDuration("7d"), 604800);
  assertEquals(parseDuration("1h30m"), 5400);
  assertEquals(parseDuration("250ms"), 0.25);
  assertEquals(parseDuration(45), 45);
  assertEquals(parseDuration("45"), 45);
  assertEquals(parseDuration("10 minutes"), null);
  assertEquals(parseDuration("1x"), null);
  assertEquals(parseDuration(""), null);
  assertEquals(parseDuration(-1), null);
  assertEquals(parseDuration(true), null);
});

Deno.test("formatDuration() writes the shortest text that parses back", () => {
  assertEquals(formatDuration(5400), "1h30m");
  assertEquals(formatDuration(90), "1m30s");
  assertEquals(formatDuration(604800), "7d");
  assertEquals(formatDuration(0), "0s");
  assertEquals(formatDuration(0.25), "250ms");
  for (const s of [1, 59, 61, 3601, 86399, 90061, 1.5]) {
    assertEquals(parseDuration(formatDuration(s)), s);
  }
});

Deno.test("parseCidr() accepts IPv4/IPv6 addresses and blocks, rejects the rest", () => {
  assertEquals(parseCidr("192.0.2.0/24")?.prefix, 24);
  assertEquals(parseCidr("10.0.0.1")?.prefix, 32);
  assertEquals(parseCidr("2001:db8::/32")?.family, 6);
  assertEquals(parseCidr("::1")?.prefix, 128);
  assertEquals(parseCidr("::")?.prefix, 128);
  assertEquals(parseCidr("::ffff:192.0.2.1")?.bytes[15], 1);
  assertEquals([...parseCidr("fe80::1:2")!.bytes.slice(12)], [0, 1, 0, 2]);
  for (
    const bad of [
      "10.0.0.0/33",
      "256.0.0.1",
      "10.0.0",
      "10.0.0.1/",
      "1::2::3",
      "1:2:3:4:5:6:7:8:9",
      "1:2:3:4:5:6:7",
      "fe80::1%eth0",
      "example.com",
      "2001:db8::/129",
      "",
    ]
  ) {
    assertEquals(parseCidr(bad), null, bad);
  }
});

Deno.test("nearest() suggests close names and nothing for unrelated ones", () => {
  assertEquals(editDistance("kitten", "sitting"), 3);
  assertEquals(nearest("interfce", ["interface", "filter"]), "interface");
  assertEquals(nearest("zzzzzz", ["interface", "filter"]), null);
});

Deno.test("locateLines() finds tables, array tables and keys", () => {
  const lines = locateLines(
    '# c\n[capture]\ninterface = "x" # c\n\n[[response.rule]]\ncategory = "scan"\n' +
      '[[response.rule]]\naction = ["a"]\n[notify.webhook]\n"url" = """\nx = 1\n"""\ntimeout = 3\n',
  );
  assertEquals(lines.get("capture"), 2);
  assertEquals(lines.get("capture.interface"), 3);
  assertEquals(lines.get("response.rule[0].category"), 6);
  assertEquals(lines.get("response.rule[1].action"), 8);
  assertEquals(lines.get("notify.webhook.url"), 10);
  assertEquals(lines.get("notify.webhook.x"), undefined);
  assertEquals(lines.get("notify.webhook.timeout"), 13);
});

Deno.test("parseConfigWith() gives defaults for an empty file, deep-frozen", () => {
  const c = parseConfigWith("", "t", TEST_SECTIONS);
  assertEquals(c.capture.snaplen, 262144);
  assertEquals(c.response.ban_duration, 3600);
  assertEquals(c.response.rule, [{ category: "scan", action: ["log", "ban"], min_severity: 2 }]);
  assertEquals(c["notify.webhook"].url, "");
  assert(Object.isFrozen(c) && Object.isFrozen(c.capture) && Object.isFrozen(c.response.rule));
  assert(Object.isFrozen(c.response.rule[0]) && Object.isFrozen(c.response.allowlist));
});

Deno.test("parseConfigWith() reads every kind of value", () => {
  const c = parseConfigWith(
    `[capture]
interface = "veth0"
promiscuous = false
[response]
dry_run = true
ban_duration = "1h30m"
allowlist = ["192.0.2.0/24", "2001:db8::/32"]
score = 1
[[response.rule]]
category = "attack"
[[response.rule]]
category = "exfiltration"
action = ["notify"]
min_severity = 1
[notify.webhook]
url = "http://127.0.0.1:9000/hook"
timeout = 2
[extra.deep.hooks]
[[extra.deep.hooks.hook]]
name = "y"
`,
    "t",
    TEST_SECTIONS,
  );
  assertEquals(c.capture.interface, "veth0");
  assertEquals(c.capture.promiscuous, false);
  assertEquals(c.response.dry_run, true);
  assertEquals(c.response.ban_duration, 5400);
  assertEquals(c.response.allowlist, ["192.0.2.0/24", "2001:db8::/32"]);
  assertEquals(c.response.score, 1);
  assertEquals(c.response.rule, [
    { category: "attack", action: ["log"], min_severity: 3 },
    { category: "exfiltration", action: ["notify"], min_severity: 1 },
  ]);
  assertEquals(c["notify.webhook"], { url: "http://127.0.0.1:9000/hook", timeout: 2 });
  assertEquals(c["extra.deep.hooks"].hook, [{ name: "y" }]);
});

Deno.test("parseConfigWith() names the key, value, line and expectation of bad values", () => {
  assertEquals(problemsOf('[response]\n\nban_duration = "10 minutes"\n'), [
    'Cannot use "response.ban_duration" = "10 minutes" (line 3): expected a duration such as "10m" or "1h" (from "1m" to "7d")',
  ]);
  assertEquals(problemsOf('[capture]\nsnaplen = 10\npromiscuous = "yes"\n'), [
    'Cannot use "capture.snaplen" = 10 (line 2): expected a whole number from 68 to 262144',
    'Cannot use "capture.promiscuous" = "yes" (line 3): expected true or false',
  ]);
  assertEquals(problemsOf('[output]\ncolor = "blue"\n'), [
    'Cannot use "output.color" = "blue" (line 2): expected one of "auto", "always", "never"',
  ]);
  assertEquals(problemsOf('[response]\nallowlist = ["10.0.0.0/33"]\n'), [
    'Cannot use "response.allowlist" = ["10.0.0.0/33"] (line 2): "10.0.0.0/33" is not an IP address or CIDR block; expected a list of IP addresses or CIDR blocks such as ["192.0.2.0/24", "2001:db8::/32"]',
  ]);
  assertEquals(problemsOf("[response]\nmax_bans = 1.5\nscore = 2\n"), [
    'Cannot use "response.max_bans" = 1.5 (line 2): expected a whole number from 1 to 100000',
    'Cannot use "response.score" = 2 (line 3): expected a number from 0 to 1',
  ]);
  assertEquals(problemsOf('[response]\nrule = "x"\n'), [
    'Cannot use "response.rule" = "x" (line 2): expected tables written as [[section.key]] entries',
  ]);
  assertEquals(
    problemsOf('[[response.rule]]\ncategory = "scan"\n[[response.rule]]\nmin_severity = 4\n'),
    [
      'Cannot use "response.rule.min_severity" = 4 (line 4): expected a whole number from 1 to 3',
    ],
  );
});

Deno.test("parseConfigWith() rejects unknown sections and keys with the nearest known name", () => {
  assertEquals(problemsOf('[capture]\ninterfce = "eth0"\n'), [
    'Unknown key "capture.interfce" (line 2): did you mean "capture.interface"?',
  ]);
  assertEquals(problemsOf("[captur]\n"), [
    "Unknown section [captur] (line 1): did you mean [capture]?",
  ]);
  assertEquals(problemsOf('[notify.webhok]\nurl = "x"\n'), [
    "Unknown section [notify.webhok] (line 1): did you mean [notify.webhook]?",
  ]);
  assertEquals(problemsOf('[notify]\nurl = "x"\n'), [
    'Unknown key "notify.url" (line 2): remove it or use one of the sections under [notify]: [notify.webhook]',
  ]);
  assertEquals(problemsOf('[[response.rule]]\ncategori = "scan"\n'), [
    'Unknown key "categori" in response.rule entry 1 (line 2): did you mean "category"?',
  ]);
  assertEquals(problemsOf("snaplen = 5\n"), [
    'Key "snaplen" (line 1) is outside any section: did you mean "snaplen" under [capture]?',
  ]);
  const [msg] = problemsOf("[capture]\nqqqqqqqq = 1\n");
  assert(
    msg!.startsWith(
      'Unknown key "capture.qqqqqqqq" (line 2): remove it or use one of the known keys of [capture]: interface, filter',
    ),
    msg,
  );
});

Deno.test("parseConfigWith() reports TOML syntax errors with line and column", () => {
  const err = assertThrows(
    () => parseConfigWith('[capture]\ninterface = "eth0\n', "bad.toml", TEST_SECTIONS),
    ConfigError,
  );
  assertEquals(err.problems[0]!.line, 2);
  assert(typeof err.problems[0]!.column === "number");
  assert(err.message.startsWith("Config bad.toml: Invalid TOML at line 2, column "), err.message);
});

Deno.test("renderDefaultConfig() documents every key and parses back to the defaults", () => {
  for (const sections of [SECTIONS, TEST_SECTIONS]) {
    const text = renderDefaultConfig(sections);
    const parsed = parseConfigWith(text, "default", sections);
    assertEquals(parsed, parseConfigWith("", "empty", sections));
    for (const [name, spec] of Object.entries(sections)) {
      assert(text.includes(`[${name}]`), name);
      for (const key of Object.keys(spec.keys)) {
        const spec_ = spec.keys[key as keyof typeof spec.keys] as { default: unknown };
        const asTables = Array.isArray(spec_.default) && typeof spec_.default[0] === "object";
        const re = asTables ? `^\\[\\[${name}\\.${key}\\]\\]$` : `^${key} = `;
        assert(new RegExp(re, "m").test(text), `${name}.${key}`);
      }
    }
    for (const line of text.split("\n")) assert(line.length <= 100, line);
  }
  const text = renderDefaultConfig(TEST_SECTIONS);
  assert(text.includes("[[response.rule]]"));
  assert(text.includes("# Default: 262144. Allowed: a whole number from 68 to 262144."));
});

Deno.test("parseConfig() and defaultConfig() use the full schema", () => {
  assertEquals(defaultConfig().capture.interface, "");
  assertEquals(defaultConfig().output.stats_interval, 60);
  assertEquals(parseConfig('[capture]\nfilter = "tcp"\n').capture.filter, "tcp");
});

Deno.test("parseConfigWith() on any text returns a config or throws a ConfigError, nothing else", async () => {
  const fc = (await import("fast-check")).default;
  const tomlish = fc.array(
    fc.oneof(
      fc.constantFrom("[capture]", "[response]", "[[response.rule]]", "[notify.webhook]", "[x.y]"),
      fc.tuple(
        fc.constantFrom(
          "interface",
          "snaplen",
          "dry_run",
          "allowlist",
          "ban_duration",
          "url",
          "zz",
        ),
        fc.constantFrom(
          '"eth0"',
          "1",
          "-5",
          "1.5",
          "true",
          '["10.0.0.0/8"]',
          '"1h"',
          "[1, 2]",
          "{a = 1}",
          '"',
        ),
      ).map(([k, v]) => `${k} = ${v}`),
      fc.string(),
    ),
    { maxLength: 12 },
  ).map((lines) => lines.join("\n"));
  fc.assert(
    fc.property(tomlish, (text) => {
      try {
        parseConfigWith(text, "prop", TEST_SECTIONS);
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        for (const p of e.problems) assert(p.message.length > 0);
      }
    }),
    { numRuns: 2000 },
  );
});

Deno.test("parseCidr() and parseDuration() never throw, and durations round-trip", async () => {
  const fc = (await import("fast-check")).default;
  fc.assert(fc.property(fc.string(), (s) => {
    parseCidr(s);
    parseDuration(s);
  }));
  fc.assert(fc.property(fc.integer({ min: 0, max: 10 * 365 * 86400 }), (n) => {
    assertEquals(parseDuration(formatDuration(n)), n);
  }));
  // Every IPv4 address and prefix written out parses back to the same bytes.
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }),
      fc.integer({ min: 0, max: 32 }),
      (b, p) => {
        const c = parseCidr(`${b.join(".")}/${p}`);
        assertEquals(c && [...c.bytes], b);
        assertEquals(c?.prefix, p);
      },
    ),
  );
});

Deno.test("the Config type gives each key its value type", () => {
  // Compile-time check: these assignments fail `deno check` if the types degrade.
  const capture: { snaplen: number; interface: string; promiscuous: boolean } =
    defaultConfig().capture;
  const output: { stats_interval: number; color: string } = defaultConfig().output;
  assertEquals([capture.snaplen, output.stats_interval], [262144, 60]);
});
