import { assert, assertEquals } from "../config/_test_assert.ts";
import type { Alert } from "../detect/alert.ts";
import { alertToEve, banEventToEve, eveTimestamp, EveWriter, statsToEve } from "./eve.ts";

// Hand-built: the alert of DESIGN.md's EVE example.
const ALERT: Alert = {
  ts: Date.UTC(2026, 11, 4, 19, 31, 8) / 1000 + 0.123456,
  detector: "scan.port",
  category: "scan",
  severity: 2,
  signatureId: 1000101,
  signature: "TCP port scan of 10.200.0.1",
  srcIp: "10.200.0.2",
  srcPort: 40100,
  destIp: "10.200.0.1",
  destPort: 22,
  proto: "TCP",
  direction: "inbound",
  offender: "10.200.0.2",
  spoofable: false,
  evidence: { ports: [21, 22, 23, 80], probes: 25 },
  process: null,
};

Deno.test("eveTimestamp() writes UTC with microseconds and +0000", () => {
  assertEquals(eveTimestamp(ALERT.ts), "2026-12-04T19:31:08.123456+0000");
  assertEquals(eveTimestamp(0), "1970-01-01T00:00:00.000000+0000");
  // 0.9999996 s rounds up to the next whole second, not to ".1000000".
  assertEquals(eveTimestamp(59.9999996), "1970-01-01T00:01:00.000000+0000");
});

Deno.test("alertToEve() gives DESIGN.md's example line, field for field and in order", () => {
  assertEquals(
    JSON.stringify(alertToEve(ALERT, "blocked")),
    '{"timestamp":"2026-12-04T19:31:08.123456+0000","event_type":"alert","src_ip":"10.200.0.2",' +
      '"src_port":40100,"dest_ip":"10.200.0.1","dest_port":22,"proto":"TCP",' +
      '"alert":{"action":"blocked","signature_id":1000101,"signature":"TCP port scan of 10.200.0.1",' +
      '"category":"scan","severity":2},"pcap_ts":{"detector":"scan.port",' +
      '"evidence":{"ports":[21,22,23,80],"probes":25},"process":null,"direction":"inbound",' +
      '"offender":"10.200.0.2","spoofable":false}}',
  );
});

Deno.test("alertToEve() leaves out absent ports and keeps the process", () => {
  const e = alertToEve({
    ...ALERT,
    srcPort: null,
    destPort: null,
    proto: "ICMP",
    process: { pid: 42, name: "curl", cmdline: "curl x", uid: 1000 },
  });
  assertEquals("src_port" in e || "dest_port" in e, false);
  assertEquals((e.alert as { action: string }).action, "allowed");
  assertEquals((e.pcap_ts as { process: unknown }).process, {
    pid: 42,
    name: "curl",
    cmdline: "curl x",
    uid: 1000,
  });
});

Deno.test("banEventToEve() and statsToEve() give ban and stats events", () => {
  assertEquals(
    banEventToEve({ ts: 1, ip: "192.0.2.7", action: "add", durationS: 3600, reason: "scan.port" }),
    {
      timestamp: "1970-01-01T00:00:01.000000+0000",
      event_type: "ban",
      ban: { ip: "192.0.2.7", action: "add", duration_s: 3600, reason: "scan.port" },
    },
  );
  assertEquals(
    statsToEve({
      ts: 2,
      packets: 10,
      drops: 1,
      flows: 3,
      evictions: 0,
      alerts: 2,
      decode_errors: 4,
    }),
    {
      timestamp: "1970-01-01T00:00:02.000000+0000",
      event_type: "stats",
      stats: { packets: 10, drops: 1, flows: 3, evictions: 0, alerts: 2, decode_errors: 4 },
    },
  );
});

async function lines(path: string): Promise<string[]> {
  const text = await Deno.readTextFile(path);
  return text === "" ? [] : text.trimEnd().split("\n");
}

Deno.test("EveWriter appends every line, in order, by close()", async () => {
  const path = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(path, '{"old":true}\n');
    const w = await EveWriter.open(path);
    for (let i = 0; i < 50_000; i++) w.write({ timestamp: "t", event_type: "stats", i });
    await w.close();
    const got = await lines(path);
    assertEquals(got.length, 50_001);
    assertEquals(got[0], '{"old":true}');
    for (let i = 0; i < 50_000; i++) assertEquals(JSON.parse(got[i + 1]!).i, i);
    let threw = false;
    try {
      w.write({ timestamp: "t", event_type: "x" });
    } catch {
      threw = true;
    }
    assert(threw, "write after close must throw");
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("EveWriter writes a buffered line within about a second without close()", async () => {
  const path = await Deno.makeTempFile({ suffix: ".json" });
  const w = await EveWriter.open(path);
  try {
    w.write(alertToEve(ALERT));
    assertEquals((await lines(path)).length, 0); // still buffered
    await new Promise((ok) => setTimeout(ok, 1500));
    assertEquals((await lines(path)).length, 1);
  } finally {
    await w.close();
    await Deno.remove(path);
  }
});

Deno.test("EveWriter.open() explains an unwritable path", async () => {
  let msg = "";
  try {
    await EveWriter.open("/nonexistent-dir/eve.json");
  } catch (e) {
    msg = (e as Error).message;
  }
  assert(msg.startsWith("Cannot open the EVE file /nonexistent-dir/eve.json:"), msg);
});

Deno.test("EveWriter('-') writes every line to stdout, also with closeSync()", async () => {
  const script = await Deno.makeTempFile({ suffix: ".ts" });
  const eve = new URL("./eve.ts", import.meta.url).href;
  try {
    for (const close of ["await w.close()", "w.closeSync()"]) {
      await Deno.writeTextFile(
        script,
        `import { EveWriter } from "${eve}";\nconst w = await EveWriter.open("-");\n` +
          `for (let i = 0; i < 20000; i++) w.write({ timestamp: "t", event_type: "x", i });\n${close};\n`,
      );
      const out = await new Deno.Command(Deno.execPath(), { args: ["run", script], stdin: "null" })
        .output();
      assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
      const got = new TextDecoder().decode(out.stdout).trimEnd().split("\n");
      assertEquals(got.length, 20000, close);
      assertEquals(JSON.parse(got[19999]!).i, 19999);
    }
  } finally {
    await Deno.remove(script);
  }
});

Deno.test({
  name: "EveWriter reports a failed write (a full disk) instead of dropping lines silently",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const w = await EveWriter.open("/dev/full");
    w.write({ timestamp: "t", event_type: "x" });
    let msg = "";
    try {
      await w.close();
    } catch (e) {
      msg = (e as Error).message;
    }
    assert(msg.startsWith("Cannot write to the EVE file /dev/full:"), msg);
  },
});
