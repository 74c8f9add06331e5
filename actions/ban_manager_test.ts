import assert from "node:assert/strict";
import type { Alert } from "../detect/alert.ts";
import {
  type BanEvent,
  BanManager,
  type BanManagerOptions,
  MAX_OFFENCES,
  type RefusalEvent,
} from "./ban_manager.ts";
import { type BanSettings, banSettings, RESPONSE_BAN_SECTION } from "./ban_config.ts";
import { sectionDefaults } from "../config/spec.ts";
import { DryRunBackend, MemoryBackend } from "./firewall.ts";
import { saveState } from "./state.ts";

const HOST = { own: ["10.200.40.1"], gateways: ["10.200.40.254"], dns: ["10.255.255.53"] };

function setup(over: Partial<BanSettings> = {}, opts: Partial<BanManagerOptions> = {}) {
  let t = 1_700_000_000;
  const clock = { now: () => t, advance: (s: number) => (t += s) };
  const backend = new MemoryBackend({ nowMs: () => t * 1000 });
  const events: BanEvent[] = [];
  const refusals: RefusalEvent[] = [];
  const logs: string[] = [];
  const settings = { ...banSettings(sectionDefaults(RESPONSE_BAN_SECTION)), ...over };
  const m = new BanManager({
    backend,
    settings,
    // A test that passes readHost lets the manager read the host's addresses.
    ...(opts.readHost ? {} : { host: HOST }),
    now: clock.now,
    onBanEvent: (e) => events.push(e),
    onRefusal: (r) => refusals.push(r),
    log: (l) => logs.push(l),
    persist: false,
    timers: false,
    ...opts,
  });
  return { m, backend, clock, events, refusals, logs };
}

function alert(offender: string): Alert {
  return {
    ts: 1_700_000_000,
    detector: "scan.port",
    category: "scan",
    severity: 2,
    signatureId: 1000101,
    signature: `TCP port scan of 10.200.40.1 by ${offender}`,
    srcIp: offender,
    srcPort: 40100,
    destIp: "10.200.40.1",
    destPort: 22,
    proto: "TCP",
    direction: "inbound",
    offender,
    spoofable: false,
    evidence: {},
    process: null,
  };
}

Deno.test("BanManager bans an alert's offender once, commits, and reports the event", async () => {
  const { m, backend, events } = setup();
  await m.start();
  const d = m.request(alert("192.0.2.7"));
  assert.deepEqual(d, {
    ok: true,
    ip: "192.0.2.7",
    kind: "ban",
    durationS: 600,
    offence: 1,
    prefix: null,
    prefixRefusal: null,
  });
  assert.deepEqual(m.request(alert("192.0.2.7")).ok, false);
  assert.equal(events.length, 0, "events follow the commit");
  await m.commit();
  assert.deepEqual(events, [{
    ts: 1_700_000_000,
    ip: "192.0.2.7",
    action: "add",
    durationS: 600,
    reason: "scan.port: TCP port scan of 10.200.40.1 by 192.0.2.7",
    kind: "ban",
  }]);
  assert.deepEqual((await backend.list()).map((e) => [e.ip, e.expiresS]), [["192.0.2.7", 600]]);
});

Deno.test("BanManager escalates 10m → 1h → 24h → 7d and forgets after offence_memory", async () => {
  const { m, clock, events } = setup();
  await m.start();
  const got: number[] = [];
  for (let i = 0; i < 5; i++) {
    const d = m.request({ ip: "192.0.2.7", reason: "x" });
    assert.ok(d.ok);
    got.push(d.durationS);
    await m.commit();
    clock.advance(d.durationS + 1);
    m.sweep();
  }
  assert.deepEqual(got, [600, 3600, 86400, 604800, 604800]);
  assert.equal(events.filter((e) => e.action === "remove" && e.reason === "expired").length, 5);
  clock.advance(30 * 86400 + 1);
  m.sweep();
  assert.equal(m.offenceCount("192.0.2.7"), 0);
  const d = m.request({ ip: "192.0.2.7", reason: "x" });
  assert.ok(d.ok && d.durationS === 600 && d.offence === 1);
});

Deno.test("BanManager bans the IPv6 /64 after ipv6_prefix_after offenders in it", async () => {
  const { m, backend } = setup({ ipv6PrefixAfter: 3 });
  await m.start();
  const a = m.request({ ip: "2001:db8:5::1", reason: "x" });
  const b = m.request({ ip: "2001:db8:5::2", reason: "x" });
  const other = m.request({ ip: "2001:db8:6::1", reason: "x" });
  const c = m.request({ ip: "2001:db8:5::3", reason: "x" });
  assert.ok(
    a.ok && a.prefix === null && b.ok && b.prefix === null && other.ok && other.prefix === null,
  );
  assert.ok(c.ok && c.prefix === "2001:db8:5::/64");
  await m.commit();
  assert.deepEqual((await backend.list()).map((e) => e.ip).sort(), [
    "2001:db8:5::/64",
    "2001:db8:5::1",
    "2001:db8:5::2",
    "2001:db8:5::3",
    "2001:db8:6::1",
  ]);
  // The prefix is not banned twice.
  const d = m.request({ ip: "2001:db8:5::4", reason: "x" });
  assert.ok(d.ok && d.prefix === null);
});

Deno.test("BanManager refuses a /64 that holds this host's address, but bans the offender", async () => {
  const { m } = setup({ ipv6PrefixAfter: 1 }, {
    host: { own: ["2001:db8:7::1"], gateways: [], dns: [] },
  });
  await m.start();
  const d = m.request({ ip: "2001:db8:7::66", reason: "x" });
  assert.ok(d.ok && d.prefix === null && d.prefixRefusal?.reason === "own address");
});

Deno.test("BanManager reads this host's addresses again: an address gained later is never banned", async () => {
  let host = { own: ["10.200.40.1"], gateways: ["10.200.40.254"], dns: [] as string[] };
  let reads = 0;
  const { m, logs } = setup({}, {
    readHost: () => {
      reads++;
      return Promise.resolve(host);
    },
  });
  await m.start();
  assert.equal(reads, 1);
  assert.equal(await m.refreshHost(), false, "nothing changed");
  assert.equal(logs.filter((l) => l.includes("addresses changed")).length, 0);
  // DHCP hands the host a new address, and the default route a new gateway.
  host = { own: ["10.200.40.1", "10.200.41.7"], gateways: ["10.200.41.254"], dns: [] };
  assert.equal(await m.refreshHost(), true);
  assert.ok(logs.some((l) => l.includes("own 10.200.40.1, 10.200.41.7")), logs.join("\n"));
  const own = m.request({ ip: "10.200.41.7", reason: "x" });
  assert.ok(!own.ok && own.reason === "own address");
  const gw = m.request({ ip: "10.200.41.254", reason: "x" });
  assert.ok(!gw.ok && gw.reason === "gateway");
  // The old gateway is an ordinary address again.
  assert.ok(m.request({ ip: "10.200.40.254", reason: "x" }).ok);
  // Given fixed addresses are never read again.
  const fixed = setup();
  await fixed.m.start();
  assert.equal(await fixed.m.refreshHost(), false);
});

Deno.test("BanManager refuses gateway, own, resolver, allowlisted and special addresses as values", async () => {
  const { m, refusals, logs, backend } = setup({ allowlist: ["198.51.100.0/24"] });
  await m.start();
  const reasons = [
    "10.200.40.254",
    "10.200.40.1",
    "10.255.255.53",
    "198.51.100.9",
    "127.0.0.1",
    "::1",
    "ff02::1",
    "fe80::1",
    "255.255.255.255",
    "0.0.0.0",
    "bogus",
    "10.0.0.0/8",
  ]
    .map((ip) => {
      const d = m.request({ ip, reason: "x" });
      return d.ok ? "banned" : d.reason;
    });
  assert.deepEqual(reasons, [
    "gateway",
    "own address",
    "dns resolver",
    "allowlist",
    "loopback",
    "loopback",
    "multicast",
    "link-local",
    "broadcast",
    "unspecified",
    "invalid address",
    "invalid address",
  ]);
  assert.equal(refusals.length, 12);
  assert.equal(logs.length, 12);
  assert.match(logs[0]!, /ban of 10\.200\.40\.254 refused \(gateway\)/);
  await m.commit();
  assert.deepEqual(await backend.list(), []);
});

Deno.test("BanManager caps new bans per minute and logs the refusals", async () => {
  const { m, clock } = setup({ maxBansPerMinute: 5 });
  await m.start();
  const ok = [];
  for (let i = 1; i <= 8; i++) ok.push(m.request({ ip: `192.0.2.${i}`, reason: "x" }).ok);
  assert.deepEqual(ok, [true, true, true, true, true, false, false, false]);
  assert.equal(m.safety.refusals.get("rate cap"), 3);
  clock.advance(61);
  assert.ok(m.request({ ip: "192.0.2.9", reason: "x" }).ok);
  // The refused offender's offence still counted: its first real ban is its second offence.
  const d = m.request({ ip: "192.0.2.6", reason: "x" });
  assert.ok(d.ok && d.offence === 2 && d.durationS === 3600);
});

Deno.test("BanManager batches a burst into one transaction, committed within the interval", async () => {
  const { m, backend } = setup({ commitIntervalMs: 100, maxBansPerMinute: 1000 }, {
    timers: true,
    now: () => Date.now() / 1000,
  });
  await m.start();
  const until = async (n: number) => {
    const deadline = performance.now() + 2000;
    while ((await backend.list()).length < n && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1));
    }
    return performance.now();
  };
  try {
    // Quiet for longer than the interval: the next request is committed at once.
    await new Promise((r) => setTimeout(r, 150));
    const t0 = performance.now();
    m.request({ ip: "192.0.2.1", reason: "x" });
    const first = (await until(1)) - t0;
    for (let i = 2; i <= 50; i++) m.request({ ip: `192.0.2.${i}`, reason: "x" });
    const all = (await until(50)) - t0;
    assert.equal((await backend.list()).length, 50);
    assert.ok(first < 50, `first ban took ${first} ms`);
    // The burst waits for the interval after the first commit, then goes in one batch.
    assert.ok(all >= 90 && all < 1000, `burst took ${all} ms`);
    assert.deepEqual(backend.batches.map((b) => b.length), [1, 49]);
  } finally {
    await m.stop();
  }
});

Deno.test("BanManager.unban() removes a ban and reports it; dry-run changes nothing", async () => {
  const { m, backend, events } = setup();
  await m.start();
  m.request({ ip: "192.0.2.7", reason: "x" });
  await m.commit();
  assert.equal(m.unban("192.0.2.7"), true);
  await m.commit();
  assert.deepEqual(await backend.list(), []);
  assert.deepEqual(events.map((e) => e.action), ["add", "remove"]);

  const lines: string[] = [];
  const dry = new DryRunBackend({ log: (l) => lines.push(l) });
  const d = setup({}, { backend: dry });
  await d.m.start();
  assert.ok(d.m.request({ ip: "192.0.2.8", reason: "scan" }).ok);
  assert.ok(!d.m.request({ ip: "10.200.40.254", reason: "scan" }).ok);
  await d.m.commit();
  assert.deepEqual(lines.slice(1), ["dry-run: would ban 192.0.2.8 for 600s (scan)"]);
  assert.equal(d.events.length, 1);
});

Deno.test("BanManager.start() restores saved bans: re-adds missing ones, adopts unknown kernel ones", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/state.json`;
    const now = 1_700_000_000;
    await saveState(path, {
      version: 1,
      savedAt: now - 100,
      bans: [
        {
          ip: "192.0.2.1",
          kind: "ban",
          until: now + 500,
          reason: "kept",
          offences: 1,
          since: now - 100,
        },
        {
          ip: "192.0.2.2",
          kind: "ban",
          until: now + 300,
          reason: "lost",
          offences: 2,
          since: now - 100,
        },
        {
          ip: "192.0.2.3",
          kind: "ban",
          until: now - 1,
          reason: "over",
          offences: 1,
          since: now - 700,
        },
      ],
      offences: [{ ip: "192.0.2.2", count: 2, last: now - 100 }],
    });
    const { m, backend, events } = setup({ stateFile: path }, { persist: true });
    backend.ban("192.0.2.1", 490, "kept");
    backend.ban("192.0.2.9", 200, "added by hand");
    await backend.commit();
    const report = await m.start();
    assert.deepEqual(report, { kept: 1, readded: 1, adopted: 1, expired: 1, warning: null });
    assert.deepEqual(
      (await backend.list()).map((e) => [e.ip, e.expiresS, e.reason]).sort(),
      [["192.0.2.1", 490, "kept"], ["192.0.2.2", 300, "lost"], ["192.0.2.9", 200, "added by hand"]],
    );
    assert.deepEqual(events.map((e) => [e.ip, e.action, e.durationS, e.reason]), [[
      "192.0.2.2",
      "add",
      300,
      "restored: lost",
    ]]);
    assert.equal(m.offenceCount("192.0.2.2"), 2);
    const saved = JSON.parse(await Deno.readTextFile(path));
    assert.deepEqual(saved.bans.map((b: { ip: string }) => b.ip).sort(), [
      "192.0.2.1",
      "192.0.2.2",
      "192.0.2.9",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("BanManager.reconcile() forgets bans removed outside pcap_ts and adopts new ones", async () => {
  const { m, backend, events } = setup();
  await m.start();
  m.request({ ip: "192.0.2.1", reason: "x" });
  await m.commit();
  backend.unban("192.0.2.1");
  backend.ban("192.0.2.2", 60, "hand");
  await backend.commit();
  assert.deepEqual(await m.reconcile(), { forgotten: 1, adopted: 1 });
  assert.deepEqual(m.bans().map((b) => b.ip), ["192.0.2.2"]);
  assert.equal(events.at(-1)!.reason, "removed outside pcap_ts");
});

Deno.test("banSettings() rejects a bad ban_durations entry naming the key", () => {
  const c = { ...sectionDefaults(RESPONSE_BAN_SECTION), ban_durations: ["10m", "forever"] };
  assert.throws(() => banSettings(c), /"response\.ban_durations" entry "forever"/);
  assert.deepEqual(banSettings(sectionDefaults(RESPONSE_BAN_SECTION)).banDurationsS, [
    600,
    3600,
    86400,
    604800,
  ]);
});

Deno.test("BanManager forgets the least recently recorded offences beyond MAX_OFFENCES", async () => {
  // A cap of 0 bans a minute refuses every request, but each still records an offence.
  const { m } = setup({ maxBansPerMinute: 0 });
  await m.start();
  const a = (i: number) => `10.${1 + (i >> 16)}.${(i >> 8) & 0xff}.${i & 0xff}`;
  const b = (i: number) => `172.16.${i >> 8}.${i & 0xff}`;
  for (let i = 0; i < MAX_OFFENCES; i++) m.request({ ip: a(i), reason: "x" });
  // Round r (0..9): offend again with a(r*1000 .. r*1000+99) (they become the most recent),
  // then 500 new addresses arrive and push out the 500 oldest.
  for (let r = 0; r < 10; r++) {
    for (let i = r * 1000; i < r * 1000 + 100; i++) m.request({ ip: a(i), reason: "x" });
    for (let i = r * 500; i < r * 500 + 500; i++) m.request({ ip: b(i), reason: "x" });
  }
  // Hand count. Evicted, oldest first: a(100..999), a(1100..1999), ..., a(4100..4999) (each
  // round's 100 were offended again before the evictions reached them), then a(5100..5599):
  // 5 × 900 + 500 = the 5000 new addresses. a(5000..9099) in steps were offended again in
  // rounds 5-9 before their turn came.
  const range = (f: (i: number) => string, from: number, to: number) =>
    Array.from({ length: to - from }, (_, k) => f(from + k));
  const evicted = [0, 1, 2, 3, 4].flatMap((r) => range(a, r * 1000 + 100, r * 1000 + 1000));
  evicted.push(...range(a, 5100, 5600));
  assert.equal(evicted.length, 5000);
  assert.deepEqual(evicted.filter((ip) => m.offenceCount(ip) !== 0), []);
  // What is left, least recently recorded first: the untouched a(...) in order, then each
  // round's 100 offended again (count 2) and its 500 new addresses (count 1).
  const expected = [
    ...range(a, 5600, 6000),
    ...range(a, 6100, 7000),
    ...range(a, 7100, 8000),
    ...range(a, 8100, 9000),
    ...range(a, 9100, MAX_OFFENCES),
  ].map((ip) => ({ ip, count: 1 }));
  for (let r = 0; r < 10; r++) {
    expected.push(...range(a, r * 1000, r * 1000 + 100).map((ip) => ({ ip, count: 2 })));
    expected.push(...range(b, r * 500, r * 500 + 500).map((ip) => ({ ip, count: 1 })));
  }
  assert.equal(expected.length, MAX_OFFENCES);
  assert.deepEqual(m.snapshot().offences.map(({ ip, count }) => ({ ip, count })), expected);
});
