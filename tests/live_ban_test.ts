/**
 * End to end, live: the response of the real program (main.ts under `deno run`, the
 * permissions of `deno task start`) to real scans. pcap_ts captures inside namespace A, a real
 * nmap (or hping3) in namespace B scans it, and the test checks what reaches the kernel of A
 * (`nft -j list set inet pcap_ts ban4|ban6`, `ipset list pcap_ts_ban4`), what a real curl from
 * B sees while B is banned and after, what the EVE file says, and what `pcap_ts bans` says.
 *
 * Covered: nftables bans of IPv4 and IPv6 scanners (alert → ban latency, the ban blocks curl,
 * `bans list` shows the remaining time, `bans unban` and expiry lift it); a kill -9 restart
 * (bans kept in the kernel, restored from the state file, added again when the kernel lost
 * them); spoofed scans with the source of an allowlisted address, of A's gateway and of A's own
 * address ban nothing, while a spoofed third party with the same policy is banned; the
 * iptables + ipset backend; `--dry-run` decides and logs but bans nothing.
 *
 * Every firewall command runs inside namespace A (10.200.100–104.0/24, fd00:200:100::/64);
 * the host's firewall is never touched.
 */

import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { createTestNet, netnsUnavailable, type RunResult, type TestNet } from "./netns.ts";
import { type PcapTsProcess, startPcapTs, startPermissions } from "./_pcap_ts_process.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const PORT = 80;

async function toolMissing(): Promise<string | null> {
  for (const tool of ["nmap", "hping3", "nft", "ipset", "iptables", "curl", "python3"]) {
    const found = await new Deno.Command("sh", { args: ["-c", `command -v ${tool}`] }).output();
    if (found.code !== 0) return `${tool} is not installed (scripts/setup.sh installs it)`;
  }
  return null;
}
const skip = await netnsUnavailable() ?? await toolMissing();
if (skip) console.log(`live_ban_test skipped: ${skip}`);

// ---------------------------------------------------------------------------------------------
// EVE events as this test reads them.

interface BanInfo {
  ip: string;
  action: "add" | "remove" | "refused";
  duration_s?: number;
  reason: string;
  detail?: string;
}
interface Eve {
  timestamp: string;
  event_type: string;
  ban?: BanInfo;
  alert?: { action: string; signature: string; category: string };
  pcap_ts?: { detector: string; offender: string; spoofable: boolean; ban?: string };
  stats?: { packets: number };
}

const events = (p: PcapTsProcess) => p.eve() as unknown as Eve[];
const bansOf = (p: PcapTsProcess, ip: string, action: BanInfo["action"]) =>
  events(p).filter((e) => e.event_type === "ban" && e.ban?.ip === ip && e.ban.action === action);
const alertsBy = (p: PcapTsProcess, ip: string) =>
  events(p).filter((e) => e.event_type === "alert" && e.pcap_ts?.offender === ip);

/** EVE timestamp ("2026-12-04T19:31:08.123456+0000") in seconds since the epoch. */
function eveSeconds(ts: string): number {
  const m = /^(.*T\d\d:\d\d:\d\d)(\.\d+)?([+-]\d\d)(\d\d)$/.exec(ts);
  if (!m) throw new Error(`not an EVE timestamp: ${ts}`);
  return Date.parse(`${m[1]}${m[3]}:${m[4]}`) / 1000 + Number(m[2] ?? 0);
}

// ---------------------------------------------------------------------------------------------
// Setup: config, server, pcap_ts.

interface ConfigOptions {
  backend: "nftables" | "iptables";
  durations: string[];
  allowlist?: string[];
  /** Extra TOML appended (e.g. [[response.rule]] tables). */
  extra?: string;
}

function writeConfig(o: ConfigOptions): string {
  const dir = Deno.makeTempDirSync({ prefix: "pcap_ts_live_ban_" });
  const q = (xs: string[]) => `[${xs.map((x) => JSON.stringify(x)).join(", ")}]`;
  const path = `${dir}/pcap_ts.toml`;
  Deno.writeTextFileSync(
    path,
    `[response]
dry_run = false
backend = "${o.backend}"
state_file = "${dir}/state.json"
ban_durations = ${q(o.durations)}
allowlist = ${q(o.allowlist ?? [])}
[notify.desktop]
enabled = false
[output]
stats_interval = "2s"
${o.extra ?? ""}`,
  );
  return path;
}

async function startOn(net: TestNet, config: string, extra: string[] = []) {
  const p = startPcapTs({ net, ns: net.nsA, args: ["-i", net.ifA, "-c", config, ...extra] });
  await p.waitForStderr(/capturing on/, 30_000);
  return p;
}

/**
 * HTTP servers in A on its IPv4 and IPv6 address, answering before this returns; `stop()`
 * ends them by pid. Readiness is checked from inside A (over loopback, unseen by pcap_ts):
 * a refused first try from B would count as a failed first contact of B.
 */
async function startServers(net: TestNet) {
  const dir = Deno.makeTempDirSync({ prefix: "pcap_ts_www_" });
  Deno.writeTextFileSync(`${dir}/index.html`, "<html>hello</html>");
  const servers = [net.ipA, net.ip6A].map((addr) =>
    net.spawn(net.nsA, ["python3", "-m", "http.server", "-b", addr, String(PORT), "-d", dir], {
      stdout: "null",
      stderr: "null",
    })
  );
  const stop = async () => {
    for (const s of servers) {
      try {
        s.kill();
      } catch {
        // Already gone.
      }
      await s.status;
    }
  };
  for (const addr of [net.ipA, net.ip6A]) {
    await until(
      `the HTTP server on ${addr}`,
      async () => {
        const r = await net.run(net.nsA, ["curl", "-g", "-s", "-o", "/dev/null", url(addr)]);
        return r.code === 0;
      },
      10_000,
      100,
    ).catch(async (e) => {
      await stop();
      throw e;
    });
  }
  return { stop };
}
const url = (ip: string) => ip.includes(":") ? `http://[${ip}]:${PORT}/` : `http://${ip}:${PORT}/`;

/** One curl from B to A: the HTTP status ("000" when it did not connect) and its time. */
async function curl(net: TestNet, ip: string, retries = 0) {
  const t0 = performance.now();
  const r = await net.run(net.nsB, [
    "curl",
    "-g",
    "-s",
    "-o",
    "/dev/null",
    "-w",
    "%{http_code}",
    "--connect-timeout",
    "2",
    "--max-time",
    "3",
    ...(retries > 0 ? ["--retry", String(retries), "--retry-connrefused"] : []),
    url(ip),
  ]);
  return { status: r.stdout.trim() || "000", ms: performance.now() - t0, code: r.code };
}

/** Waits (polling) until `f` returns something other than null/false; throws after timeoutMs. */
async function until<T>(
  what: string,
  f: () => Promise<T | null | false>,
  timeoutMs: number,
  everyMs = 20,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== null && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, everyMs));
  }
}

// ---------------------------------------------------------------------------------------------
// The kernel's view, read inside A.

interface KernelBan {
  ip: string;
  /** Seconds; null when the element has no timeout. */
  timeout: number | null;
  expires: number | null;
}

/** Elements of `inet pcap_ts SET` in A; null when the table or set does not exist. */
async function nftSet(net: TestNet, set: string): Promise<KernelBan[] | null> {
  const r = await net.run(net.nsA, ["nft", "-j", "list", "set", "inet", "pcap_ts", set]);
  if (r.code !== 0) return null;
  const doc = JSON.parse(r.stdout) as { nftables: { set?: { elem?: unknown[] } }[] };
  const s = doc.nftables.find((x) => x.set)?.set;
  return (s?.elem ?? []).map((e) => {
    if (typeof e === "string") return { ip: e, timeout: null, expires: null };
    const el = (e as { elem: { val: string; timeout?: number; expires?: number } }).elem;
    return { ip: el.val, timeout: el.timeout ?? null, expires: el.expires ?? null };
  });
}

/** Members of ipset SET in A; null when it does not exist. */
async function ipsetMembers(net: TestNet, set: string): Promise<KernelBan[] | null> {
  const r = await net.run(net.nsA, ["ipset", "list", set]);
  if (r.code !== 0) return null;
  const members = r.stdout.split("Members:\n")[1] ?? "";
  return members.split("\n").filter((l) => l.trim() !== "").map((l) => {
    const t = /timeout (\d+)/.exec(l);
    return { ip: l.split(" ")[0]!, timeout: null, expires: t ? Number(t[1]) : null };
  });
}

type Kernel = (net: TestNet, family: 4 | 6) => Promise<KernelBan[] | null>;
const nftKernel: Kernel = (net, family) => nftSet(net, family === 4 ? "ban4" : "ban6");
const ipsetKernel: Kernel = (net, family) =>
  ipsetMembers(net, family === 4 ? "pcap_ts_ban4" : "pcap_ts_ban6");

/** `pcap_ts bans ARGS -c CONFIG` run inside A, as an operator would. */
function bansCli(net: TestNet, config: string, args: string[]): Promise<RunResult> {
  return net.run(net.nsA, [
    Deno.execPath(),
    "run",
    ...startPermissions(),
    MAIN,
    "bans",
    ...args,
    "-c",
    config,
  ]);
}

interface ListedBan {
  ip: string;
  kind: string;
  expires_s: number | null;
  timeout_s: number | null;
  reason: string | null;
  offences: number | null;
}

async function bansList(net: TestNet, config: string): Promise<ListedBan[]> {
  const r = await bansCli(net, config, ["list", "--json"]);
  assertEquals(r.code, 0, `bans list --json failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as ListedBan[];
}

async function nmapSyn(net: TestNet, family: 4 | 6): Promise<RunResult> {
  const target = family === 4 ? net.ipA : net.ip6A;
  return await net.run(net.nsB, [
    "nmap",
    ...(family === 6 ? ["-6"] : []),
    "-sS",
    "-Pn",
    "-n",
    "-T4",
    // Once B is banned every port looks filtered (over IPv6 even neighbour discovery from B
    // is dropped): one retry and a host timeout keep nmap well inside the ban.
    "--max-retries",
    "1",
    "--host-timeout",
    "5s",
    "-p",
    "1-1000",
    target,
  ]);
}

// ---------------------------------------------------------------------------------------------
// Scan → ban → blocked → listed; shared by the nftables and iptables tests.

interface BanTiming {
  /** EVE: timestamp of the ban event minus that of the alert that caused it. */
  alertToBanEventMs: number;
  /** Wall clock when the test first saw B in the kernel set minus the alert timestamp. */
  alertToKernelMs: number;
  /** From the start of nmap to B in the kernel set. */
  nmapStartToKernelMs: number;
  /** From the end of nmap to B in the kernel set (0 when it was there before nmap ended). */
  nmapEndToKernelMs: number;
  nmapMs: number;
  /** How long the curl from banned B took to fail. */
  curlBlockedMs: number;
  /** The detector of the alert that led to the ban, and whether its evidence was spoofable. */
  detector: string;
  spoofable: boolean;
}

/**
 * curl works, nmap -sS from B, B appears in the kernel set within a second of the alert, curl
 * fails while banned, `bans list` shows B with its remaining time. Returns the timings.
 */
async function scanAndBan(
  net: TestNet,
  p: PcapTsProcess,
  config: string,
  family: 4 | 6,
  kernel: Kernel,
  firstDurationS: number,
): Promise<BanTiming> {
  const target = family === 4 ? net.ipA : net.ip6A;
  const scanner = family === 4 ? net.ipB : net.ip6B;
  // B's handshake with the server is a successful first contact: the scan that follows is
  // then evidence a spoofer could not produce, which the default policy bans.
  const before = await curl(net, target);
  assertEquals(before.status, "200", `curl from B before the scan (IPv${family})`);
  assertEquals((await kernel(net, family))?.length ?? 0, 0, "no ban before the scan");

  // Poll the kernel set while nmap runs: the ban is usually in place before nmap ends.
  let seenAt: number | null = null;
  let scanning = true;
  let nmapEnd = Infinity;
  const poll = (async () => {
    while (scanning || seenAt === null) {
      const k = await kernel(net, family);
      if (k?.some((e) => e.ip === scanner)) {
        seenAt = Date.now();
        return;
      }
      if (!scanning && Date.now() > nmapEnd + 10_000) return;
      await new Promise((ok) => setTimeout(ok, 10));
    }
  })();
  const nmapStart = Date.now();
  const scan = await nmapSyn(net, family);
  nmapEnd = Date.now();
  scanning = false;
  await poll;
  assertEquals(scan.code, 0, `nmap failed: ${scan.stderr}`);
  assert(
    seenAt !== null,
    `B (${scanner}) never appeared in the kernel set; pcap_ts stderr:\n${
      p.stderr.join("\n")
    }\nEVE:\n${events(p).map((e) => JSON.stringify(e)).join("\n")}`,
  );
  const seen = seenAt as number;

  const ban = await p.waitForEve(
    (e) => e.event_type === "ban" && (e as unknown as Eve).ban?.ip === scanner,
    5_000,
  ) as unknown as Eve;
  assertEquals(ban.ban!.action, "add");
  assertEquals(ban.ban!.duration_s, firstDurationS);
  const blocked = events(p).find((e) =>
    e.event_type === "alert" && e.pcap_ts?.offender === scanner && e.alert?.action === "blocked"
  );
  assert(
    blocked,
    `an alert naming ${scanner} with action "blocked"; alerts: ${
      JSON.stringify(alertsBy(p, scanner))
    }`,
  );
  assertEquals(blocked.alert!.category, "scan");
  const alertS = eveSeconds(blocked.timestamp);
  const timing: BanTiming = {
    alertToBanEventMs: (eveSeconds(ban.timestamp) - alertS) * 1000,
    alertToKernelMs: seen - alertS * 1000,
    nmapStartToKernelMs: seen - nmapStart,
    nmapEndToKernelMs: Math.max(0, seen - nmapEnd),
    nmapMs: nmapEnd - nmapStart,
    curlBlockedMs: 0,
    detector: blocked.pcap_ts!.detector,
    spoofable: blocked.pcap_ts!.spoofable,
  };
  assert(
    timing.alertToBanEventMs >= 0 && timing.alertToBanEventMs < 1000,
    `ban event within 1 s of the alert: ${JSON.stringify(timing)}`,
  );
  assert(timing.alertToKernelMs < 1000, `in the kernel within 1 s: ${JSON.stringify(timing)}`);

  const k = (await kernel(net, family))!.find((e) => e.ip === scanner);
  assert(k, `still in the kernel set: ${JSON.stringify(timing)}`);
  assert(k.expires !== null && k.expires > 0 && k.expires <= firstDurationS, JSON.stringify(k));

  const during = await curl(net, target);
  timing.curlBlockedMs = during.ms;
  assert(during.status !== "200", `curl from banned B must fail, got ${JSON.stringify(during)}`);

  const listed = (await bansList(net, config)).find((b) => b.ip === scanner);
  assert(listed, `bans list shows ${scanner}`);
  assertEquals(listed.kind, "ban");
  assert(
    listed.expires_s !== null && listed.expires_s > 0 && listed.expires_s < firstDurationS,
    `remaining time listed: ${JSON.stringify(listed)}`,
  );
  assert(listed.reason !== null && /scan/.test(listed.reason), JSON.stringify(listed));
  return timing;
}

/** `bans unban IP` inside A: B leaves the kernel set, and curl works again. */
async function unbanWorks(
  net: TestNet,
  config: string,
  family: 4 | 6,
  kernel: Kernel,
): Promise<number> {
  const target = family === 4 ? net.ipA : net.ip6A;
  const scanner = family === 4 ? net.ipB : net.ip6B;
  const r = await bansCli(net, config, ["unban", scanner]);
  assertEquals(r.code, 0, `bans unban ${scanner}: ${r.stderr}`);
  assert(/Removed/.test(r.stdout), r.stdout);
  assertEquals((await kernel(net, family))?.some((e) => e.ip === scanner), false);
  const after = await curl(net, target, 2);
  assertEquals(after.status, "200", "curl works after the unban");
  return after.ms;
}

const fmtMs = (ms: number) => `${ms.toFixed(0)} ms`;
const fmtTiming = (t: BanTiming) =>
  `${t.detector} alert (spoofable: ${t.spoofable}) → ban event ${fmtMs(t.alertToBanEventMs)}, ` +
  `alert → in kernel ${fmtMs(t.alertToKernelMs)}, nmap start → in kernel ${
    fmtMs(t.nmapStartToKernelMs)
  } (nmap took ${fmtMs(t.nmapMs)}; end of nmap → in kernel ${fmtMs(t.nmapEndToKernelMs)}), ` +
  `curl while banned failed after ${fmtMs(t.curlBlockedMs)}`;

// ---------------------------------------------------------------------------------------------

Deno.test({
  name: "live nftables bans: nmap -sS from B (IPv4, IPv6) is banned, unbanned, expires",
  ignore: skip !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const net = await createTestNet(100);
    const servers = await startServers(net);
    const config = writeConfig({ backend: "nftables", durations: ["15s", "30s"] });
    let p: PcapTsProcess | null = null;
    try {
      p = await startOn(net, config);
      // IPv4: ban, blocked, listed, then unbanned by the operator.
      const t4 = await scanAndBan(net, p, config, 4, nftKernel, 15);
      const unbanMs = await unbanWorks(net, config, 4, nftKernel);
      console.log(`nftables IPv4: ${fmtTiming(t4)}; curl after bans unban ${fmtMs(unbanMs)}`);

      // IPv6: ban, blocked, listed, then expired by the kernel on its own.
      const t6 = await scanAndBan(net, p, config, 6, nftKernel, 15);
      const banned = bansOf(p, net.ip6B, "add")[0]!;
      const gone = await until(
        "the IPv6 ban to expire in the kernel",
        async () => {
          const k = await nftSet(net, "ban6");
          return k !== null && !k.some((e) => e.ip === net.ip6B) && Date.now();
        },
        15_000,
        100,
      );
      const heldS = gone / 1000 - eveSeconds(banned.timestamp);
      assert(heldS >= 14 && heldS < 17, `the 15 s ban lasted ${heldS.toFixed(1)} s`);
      const after = await curl(net, net.ip6A, 2);
      assertEquals(after.status, "200", "curl over IPv6 works after the ban expired");
      const expired = await p.waitForEve(
        (e) =>
          e.event_type === "ban" && (e as unknown as Eve).ban?.ip === net.ip6B &&
          (e as unknown as Eve).ban?.action === "remove",
        5_000,
      ) as unknown as Eve;
      assertEquals(expired.ban!.reason, "expired");
      console.log(
        `nftables IPv6: ${fmtTiming(t6)}; the 15 s ban left the kernel after ${
          heldS.toFixed(1)
        } s, curl after expiry ${fmtMs(after.ms)}`,
      );
      assertEquals(await p.stop(), 0, `pcap_ts exit status; stderr:\n${p.stderr.join("\n")}`);
      assert(p.stderr.some((l) => l.includes(`banned ${net.ipB} for 15s`)), p.stderr.join("\n"));
    } finally {
      await p?.stop();
      await servers.stop();
      await net.close();
    }
  },
});

Deno.test({
  name: "live restart after kill -9: the ban stays in the kernel and is restored (or added again)",
  ignore: skip !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const net = await createTestNet(101);
    const servers = await startServers(net);
    const config = writeConfig({ backend: "nftables", durations: ["30s"] });
    const running: PcapTsProcess[] = [];
    const kill9 = async (p: PcapTsProcess) => {
      p.child.kill("SIGKILL");
      const s = await p.child.status;
      assertEquals(s.signal, "SIGKILL");
    };
    const ban4 = async () => (await nftSet(net, "ban4"))?.find((e) => e.ip === net.ipB) ?? null;
    try {
      const p1 = await startOn(net, config);
      running.push(p1);
      await scanAndBan(net, p1, config, 4, nftKernel, 30);
      await kill9(p1);
      const k1 = await ban4();
      assert(k1 && k1.timeout === 30 && k1.expires !== null, `kept after kill -9: ${k1}`);
      await new Promise((ok) => setTimeout(ok, 1500));

      // Restart with the same config and state file: the kernel still has the ban.
      const p2 = await startOn(net, config);
      running.push(p2);
      const line = await p2.waitForStderr(/restored bans/, 5_000);
      assert(/1 kept, 0 added again, 0 adopted/.test(line), line);
      const k2 = await ban4();
      assert(k2 && k2.expires !== null && k2.expires < k1.expires!, `remaining: ${k2}`);
      const listed = (await bansList(net, config)).find((b) => b.ip === net.ipB);
      assert(listed && listed.expires_s !== null && listed.expires_s < 30, `listed: ${listed}`);
      assertEquals(listed.offences, 1);
      assert((await curl(net, net.ipA)).status !== "200", "B still blocked after the restart");
      console.log(
        `restart: "${line.trim()}"; kernel expires in ${k2.expires}s of 30s (was ${k1.expires}s ` +
          `at the kill), bans list: ${listed.expires_s}s`,
      );

      // kill -9 again, and the kernel loses the ban meanwhile: the restart adds it again with
      // its remaining time (from the state file).
      await kill9(p2);
      await net.must(net.nsA, [
        "nft",
        "delete",
        "element",
        "inet",
        "pcap_ts",
        "ban4",
        `{ ${net.ipB} }`,
      ]);
      assertEquals(await ban4(), null);
      const p3 = await startOn(net, config);
      running.push(p3);
      const line3 = await p3.waitForStderr(/restored bans/, 5_000);
      assert(/0 kept, 1 added again/.test(line3), line3);
      const k3 = await ban4();
      assert(
        k3 && k3.expires !== null && k3.expires <= k2.expires && k3.timeout! < 30,
        `added again with the remaining time: ${JSON.stringify(k3)}`,
      );
      const restoredEvent = bansOf(p3, net.ipB, "add")[0] ??
        await p3.waitForEve((e) => e.event_type === "ban", 3_000) as unknown as Eve;
      assert(/^restored: /.test(restoredEvent.ban!.reason), JSON.stringify(restoredEvent));
      assert((await curl(net, net.ipA)).status !== "200", "B blocked again");
      console.log(`restart after the kernel lost it: "${line3.trim()}"; ${JSON.stringify(k3)}`);
      assertEquals(await p3.stop(), 0);
    } finally {
      for (const p of running) await p.stop();
      await servers.stop();
      await net.close();
    }
  },
});

Deno.test({
  name: "live spoofed scans (allowlisted source, A's gateway, A's own address) ban nothing",
  ignore: skip !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const net = await createTestNet(102);
    const allowlisted = `10.200.${net.id}.50`;
    const gateway = `10.200.${net.id}.254`;
    const thirdParty = `10.200.${net.id}.60`;
    const gateway6 = `fd00:200:${net.id}::fe`;
    // Spoofable scans are banned by this policy: only the safety guard (allowlist, gateway,
    // own address) stands between a forged source and a ban. The control case shows it.
    const config = writeConfig({
      backend: "nftables",
      durations: ["30s"],
      allowlist: [`${allowlisted}/32`],
      extra: `
[[response.rule]]
category = "scan"
actions = ["log", "ban"]
ban_spoofable = true

[[response.rule]]
actions = ["log"]
`,
    });
    let p: PcapTsProcess | null = null;
    try {
      // A's default gateway is an address on B's side (read by pcap_ts when it starts).
      await net.must(net.nsB, ["ip", "addr", "add", `${gateway}/24`, "dev", net.ifB]);
      await net.must(net.nsA, ["ip", "route", "add", "default", "via", gateway]);
      await net.must(net.nsA, ["ip", "-6", "route", "add", "default", "via", gateway6]);
      // The guard's view of A, read with the permissions pcap_ts runs with (not --allow-all:
      // Deno refuses /proc/net/route to anything less, and the gateways were once missed).
      const probe = `${Deno.makeTempDirSync({ prefix: "pcap_ts_host_" })}/host.ts`;
      Deno.writeTextFileSync(
        probe,
        `import { readHostAddresses } from "${
          new URL("../actions/safety.ts", import.meta.url).href
        }";
console.log(JSON.stringify(await readHostAddresses()));`,
      );
      const host = JSON.parse(
        await net.must(net.nsA, [Deno.execPath(), "run", ...startPermissions(), probe]),
      ) as { own: string[]; gateways: string[] };
      assertEquals(host.gateways.sort(), [gateway, gateway6].sort(), JSON.stringify(host));
      assert(host.own.includes(net.ipA) && host.own.includes(net.ip6A), JSON.stringify(host));
      p = await startOn(net, config);
      const cases = [
        { name: "(a) allowlisted source", spoof: allowlisted, refusal: "allowlist" },
        { name: "(b) A's default gateway", spoof: gateway, refusal: "gateway" },
        { name: "(c) A's own address", spoof: net.ipA, refusal: "own address" },
        { name: "control: an unprotected third party", spoof: thirdParty, refusal: null },
      ];
      const PROBES = 60;
      const rows: string[] = [];
      for (const c of cases) {
        const packetsBefore = Math.max(
          0,
          ...events(p).filter((e) => e.event_type === "stats").map((e) => e.stats!.packets),
        );
        const h = await net.run(net.nsB, [
          "hping3",
          "-S",
          "-a",
          c.spoof,
          "-p",
          "++1",
          "-c",
          String(PROBES),
          "-i",
          "u2000",
          net.ipA,
        ]);
        assert(
          new RegExp(`${PROBES} packets transmitted`).test(h.stdout + h.stderr),
          `hping3 ${c.name}: ${h.stdout}${h.stderr}`,
        );
        // pcap_ts saw the probes (stats count them)...
        await p.waitForEve(
          (e) =>
            e.event_type === "stats" &&
            (e as unknown as Eve).stats!.packets >= packetsBefore + PROBES,
          10_000,
        );
        // ...and had time to alert: the control case alerts and is banned well within this.
        const t0 = Date.now();
        const reaction = await p.waitForEve(
          (e) => {
            const v = e as unknown as Eve;
            return (v.event_type === "alert" && v.pcap_ts?.offender === c.spoof) ||
              (v.event_type === "ban" && v.ban?.ip === c.spoof);
          },
          6_000,
        ).catch(() => null);
        if (reaction) await new Promise((ok) => setTimeout(ok, 1500)); // the ban commit, EVE flush
        const alerts = alertsBy(p, c.spoof);
        const refusals = bansOf(p, c.spoof, "refused");
        const added = bansOf(p, c.spoof, "add");
        const kernel = (await nftSet(net, "ban4")) ?? [];
        rows.push(
          `${c.name.padEnd(36)} ${c.spoof.padEnd(15)} alerts: ${
            alerts.map((a) => `${a.pcap_ts!.detector}${a.pcap_ts!.spoofable ? " (spoofable)" : ""}`)
              .join(", ") || "none"
          }; refusals: ${
            refusals.map((r) => r.ban!.reason).join(", ") || "none"
          }; bans: ${added.length}; kernel ban4: [${kernel.map((k) => k.ip).join(", ")}]` +
            (reaction ? ` (reacted after ${Date.now() - t0 - 1500} ms)` : ""),
        );
        if (c.refusal === null) {
          assert(alerts.length > 0, `control alert\n${rows.join("\n")}`);
          assertEquals(added.length, 1, `control banned\n${rows.join("\n")}`);
          assert(kernel.some((k) => k.ip === c.spoof), `control in the kernel\n${rows.join("\n")}`);
        } else {
          assertEquals(added, [], `${c.name} must not be banned\n${rows.join("\n")}`);
          assertEquals(kernel, [], `${c.name}: kernel set must stay empty\n${rows.join("\n")}`);
          // Allowlisted sources are never counted: no alert at all. The others may alert,
          // and then the guard refuses the ban for the right reason.
          if (c.refusal === "allowlist") assertEquals(alerts.length, 0, rows.join("\n"));
          for (const r of refusals) assertEquals(r.ban!.reason, c.refusal, rows.join("\n"));
          if (alerts.some((a) => a.alert!.category === "scan")) {
            assert(refusals.length > 0, `a scan alert without a ban refusal\n${rows.join("\n")}`);
          }
        }
      }
      // Late alerts (unanswered probes resolve after a timeout) had the control's time too.
      assertEquals(alertsBy(p, allowlisted), [], "the allowlisted source is never counted");
      assertEquals(
        events(p).filter((e) => e.event_type === "ban" && e.ban?.action === "add").map((e) =>
          e.ban!.ip
        ),
        [thirdParty],
        "only the unprotected third party was banned",
      );
      console.log(rows.join("\n"));
      assertEquals(await p.stop(), 0);
    } finally {
      await p?.stop();
      await net.close();
    }
  },
});

Deno.test({
  name: "live iptables + ipset bans: nmap -sS from B is banned (ipset pcap_ts_ban4), unbanned",
  ignore: skip !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const net = await createTestNet(103);
    const servers = await startServers(net);
    const config = writeConfig({ backend: "iptables", durations: ["10s"] });
    let p: PcapTsProcess | null = null;
    try {
      p = await startOn(net, config);
      const t = await scanAndBan(net, p, config, 4, ipsetKernel, 10);
      const rules = await net.must(net.nsA, ["iptables", "-S", "pcap_ts_input"]);
      assert(/--match-set pcap_ts_ban4 src -j DROP/.test(rules), rules);
      assertEquals(await nftSet(net, "ban4"), null, "no nftables table with this backend");
      const unbanMs = await unbanWorks(net, config, 4, ipsetKernel);
      console.log(
        `iptables + ipset IPv4: ${fmtTiming(t)}; curl after bans unban ${fmtMs(unbanMs)}`,
      );
      assertEquals(await p.stop(), 0);
    } finally {
      await p?.stop();
      await servers.stop();
      await net.close();
    }
  },
});

Deno.test({
  name: "live --dry-run: nmap -sS from B is decided and logged, nothing is banned",
  ignore: skip !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const net = await createTestNet(104);
    const servers = await startServers(net);
    const config = writeConfig({ backend: "nftables", durations: ["10s"] });
    const stateFile = config.replace(/pcap_ts\.toml$/, "state.json");
    let p: PcapTsProcess | null = null;
    try {
      p = await startOn(net, config, ["--dry-run"]);
      assertEquals((await curl(net, net.ipA, 5)).status, "200");
      const scan = await nmapSyn(net, 4);
      assertEquals(scan.code, 0, scan.stderr);
      const decided = await p.waitForEve(
        (e) => e.event_type === "ban" && (e as unknown as Eve).ban?.ip === net.ipB,
        5_000,
      ) as unknown as Eve;
      assertEquals(decided.ban!.action, "add");
      assertEquals(decided.ban!.duration_s, 10);
      await new Promise((ok) => setTimeout(ok, 500));
      assertEquals(await nftSet(net, "ban4"), null, "dry-run creates no nftables table");
      assertEquals(await ipsetMembers(net, "pcap_ts_ban4"), null, "nor ipset sets");
      assertEquals((await curl(net, net.ipA)).status, "200", "B is not blocked");
      const alert = alertsBy(p, net.ipB).find((a) => a.pcap_ts!.ban !== undefined);
      assert(
        alert,
        `the scan alert is logged with the decision: ${JSON.stringify(alertsBy(p, net.ipB))}`,
      );
      assertEquals(alert.alert!.category, "scan");
      // Nothing was blocked: the alert says "allowed" and what would have been done.
      assertEquals(alert.alert!.action, "allowed");
      assertEquals(alert.pcap_ts!.ban, `dry-run: would ban ${net.ipB} for 10s`);
      assert(
        p.stderr.some((l) => l.includes(`dry-run: would ban ${net.ipB} for 10s`)),
        p.stderr.join("\n"),
      );
      assertEquals(await p.stop(), 0);
      let saved = "(none)";
      try {
        saved = Deno.readTextFileSync(stateFile);
      } catch {
        // Not written: right for a dry run.
      }
      assert(!saved.includes(net.ipB), `dry-run must not save bans: ${saved}`);
      console.log(
        `dry-run: ban decided (EVE ban add ${decided.ban!.ip} ${decided.ban!.duration_s}s), ` +
          `alert action "${alert.alert!.action}" with "${alert.pcap_ts!.ban}", kernel untouched, ` +
          `curl from B still works`,
      );
    } finally {
      await p?.stop();
      await servers.stop();
      await net.close();
    }
  },
});
