// deno-lint-ignore-file no-explicit-any
/**
 * Real bans in real kernels: the ban code runs inside namespace A (`ip netns exec`), the
 * offender is namespace B, and a TCP connection from B to a server in A must fail while B is
 * banned and work again after the unban and after the kernel expired the ban. Both backends
 * (nftables through libnftables, iptables + ipset), restart after `kill -9`, and refusals.
 *
 * The host's own firewall is never touched: every firewall change happens inside A.
 */
import assert from "node:assert/strict";
import { createTestNet, netnsUnavailable, type TestNet } from "./netns.ts";

const skip = await netnsUnavailable();
const PORT = 8090;

// The agent: a small deno program run inside namespace A. It reads one JSON command per line
// on stdin and answers one JSON line on stdout.
const AGENT = `
import { BanManager } from "${new URL("../actions/ban_manager.ts", import.meta.url).href}";
import { banSettings, RESPONSE_BAN_SECTION } from "${
  new URL("../actions/ban_config.ts", import.meta.url).href
}";
import { createBackend } from "${new URL("../actions/ban_backend.ts", import.meta.url).href}";
import { bansList, bansUnban, bansFlush } from "${
  new URL("../actions/ban_cli.ts", import.meta.url).href
}";
import { sectionDefaults } from "${new URL("../config/spec.ts", import.meta.url).href}";
import { NftablesBackend, NftCommandExecutor } from "${
  new URL("../actions/nft_backend.ts", import.meta.url).href
}";
const cfg = JSON.parse(Deno.args[0]);
const response = { ...sectionDefaults(RESPONSE_BAN_SECTION), ...cfg };
const backend = await createBackend(response.backend);
const events = [];
const m = new BanManager({ backend, settings: banSettings(response), onBanEvent: (e) => events.push(e), log: () => {} });
const out = (x) => console.log(JSON.stringify(x));
let lines = "";
const dec = new TextDecoder();
for await (const chunk of Deno.stdin.readable) {
  lines += dec.decode(chunk);
  let i;
  while ((i = lines.indexOf("\\n")) >= 0) {
    const cmd = JSON.parse(lines.slice(0, i));
    lines = lines.slice(i + 1);
    try {
      if (cmd.op === "start") out({ report: await m.start(), backend: backend.description });
      else if (cmd.op === "ban") {
        const t0 = performance.now();
        const n = events.length;
        const decision = m.request({ ip: cmd.ip, reason: "test ban", ...(cmd.durationS ? { durationS: cmd.durationS } : {}) });
        if (decision.ok) while (!events.slice(n).some((e) => e.ip === decision.ip)) await new Promise((r) => setTimeout(r, 1));
        const committedMs = performance.now() - t0;
        await m.commit(); // waits for the state file write of that commit
        out({ decision, committedMs });
      } else if (cmd.op === "unban") {
        m.unban(cmd.ip);
        const r = await m.commit();
        out({ commit: r });
      } else if (cmd.op === "bulk") {
        for (let k = 0; k < cmd.count; k++) backend.ban("10.99." + (k >> 8) + "." + (k & 255), 60, "bulk");
        const r = await backend.commit();
        out({ applied: r.applied, failed: r.failed.length, ms: r.ms });
      } else if (cmd.op === "direct") {
        // The backend alone (no manager): ban, then ban again with another timeout.
        const b = cmd.via === "nft command" ? new NftablesBackend(new NftCommandExecutor()) : backend;
        for (const [ip, s] of cmd.bans) b.ban(ip, s, "direct");
        const r = await b.commit();
        out({ ms: r.ms, failed: r.failed.length, kernel: await b.list(), via: b.description });
      } else if (cmd.op === "list") out({ kernel: await backend.list(), bans: m.bans() });
      else if (cmd.op === "cli") {
        const r = cmd.fn === "list" ? await bansList(response, { json: true }) : cmd.fn === "unban" ? await bansUnban(response, cmd.ip) : await bansFlush(response);
        out(r);
      } else if (cmd.op === "events") out(events);
      else if (cmd.op === "stop") { await m.stop(); out({ stopped: true }); Deno.exit(0); }
    } catch (e) {
      out({ error: String(e && e.stack || e) });
    }
  }
}
`;

/** One running agent inside a namespace. */
class Agent {
  #child: Deno.ChildProcess;
  #reader: ReadableStreamDefaultReader<string>;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #buf = "";
  constructor(net: TestNet, file: string, cfg: Record<string, unknown>) {
    this.#child = net.spawn(net.nsA, [Deno.execPath(), "run", "-A", file, JSON.stringify(cfg)], {
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    });
    this.#reader = this.#child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    this.#writer = this.#child.stdin.getWriter();
  }
  get pid(): number {
    return this.#child.pid;
  }
  async send(cmd: Record<string, unknown>): Promise<any> {
    await this.#writer.write(new TextEncoder().encode(JSON.stringify(cmd) + "\n"));
    while (!this.#buf.includes("\n")) {
      const { value, done } = await this.#reader.read();
      if (done) throw new Error(`agent ended before answering ${JSON.stringify(cmd)}`);
      this.#buf += value;
    }
    const i = this.#buf.indexOf("\n");
    const line = this.#buf.slice(0, i);
    this.#buf = this.#buf.slice(i + 1);
    const r = JSON.parse(line);
    if (r && typeof r === "object" && "error" in r) throw new Error(`agent: ${r.error}`);
    return r;
  }
  /** SIGKILL: a crash, no cleanup. */
  async kill(): Promise<void> {
    this.#child.kill("SIGKILL");
    await this.#child.status;
    await this.#writer.close().catch(() => {});
    await this.#reader.cancel().catch(() => {});
  }
  async stop(): Promise<void> {
    await this.send({ op: "stop" }).catch(() => {});
    await this.#child.status;
    await this.#writer.close().catch(() => {});
    await this.#reader.cancel().catch(() => {});
  }
}

/** True when a TCP connection from B to A's server (IPv4 or IPv6) gets an answer within 0.3 s. */
async function connects(net: TestNet, host: string): Promise<boolean> {
  const url = host.includes(":") ? `http://[${host}]:${PORT}/` : `http://${host}:${PORT}/`;
  const r = await net.run(net.nsB, ["curl", "-s", "-o", "/dev/null", "-m", "0.3", url]);
  return r.code === 0;
}

async function waitFor(what: string, cond: () => Promise<boolean>, ms: number): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    if (await cond()) return performance.now() - t0;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

async function withNet(
  id: number,
  fn: (net: TestNet, dir: string, agentFile: string) => Promise<void>,
) {
  const net = await createTestNet(id);
  const dir = await Deno.makeTempDir({ prefix: "pcap_ts_ban" });
  const agentFile = `${dir}/agent.ts`;
  await Deno.writeTextFile(agentFile, AGENT);
  const server = net.spawn(
    net.nsA,
    ["python3", "-m", "http.server", String(PORT), "--bind", "::"],
    {
      stdout: "null",
      stderr: "null",
    },
  );
  try {
    await waitFor("the HTTP server in A", () => connects(net, net.ipA), 5000);
    await fn(net, dir, agentFile);
  } finally {
    server.kill("SIGKILL");
    await server.status;
    await net.close();
    await Deno.remove(dir, { recursive: true });
  }
}

async function nftSet(net: TestNet, set: string): Promise<{ val: unknown; expires?: number }[]> {
  const out = JSON.parse(
    await net.must(net.nsA, ["nft", "-j", "list", "set", "inet", "pcap_ts", set]),
  );
  const s = out.nftables.find((x: any) => x.set)?.set;
  return (s?.elem ?? []).map((
    e: any,
  ) => (typeof e === "object" && "elem" in e ? e.elem : { val: e }));
}

async function banCycle(net: TestNet, agent: Agent, label: string) {
  const results: string[] = [];
  assert.ok(
    await connects(net, net.ipA) && await connects(net, net.ip6A),
    "connects before the ban",
  );
  for (const [ip, target] of [[net.ipB, net.ipA], [net.ip6B, net.ip6A]] as const) {
    const t0 = performance.now();
    const r = await agent.send({ op: "ban", ip, durationS: 3 });
    assert.equal(r.decision.ok, true, JSON.stringify(r.decision));
    // Probe until a connection fails; the effect time is the start of the first failing probe
    // (an upper bound: the ban was in the kernel before that probe's SYN left B).
    let effect = -1;
    while (performance.now() - t0 < 1000) {
      const start = performance.now() - t0;
      if (!(await connects(net, target))) {
        effect = start;
        break;
      }
    }
    assert.ok(effect >= 0 && effect < 1000, `${ip} not blocked within 1 s`);
    results.push(
      `${label}: ban(${ip}): in the kernel ${r.committedMs.toFixed(1)} ms after ban(), ` +
        `first failing connection started ${effect.toFixed(1)} ms after ban()`,
    );
  }
  return results;
}

Deno.test({
  name: "nftables backend in a namespace: ban blocks B (IPv4 and IPv6), unban and expiry lift it",
  ignore: skip !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withNet(40, async (net, dir, agentFile) => {
      const agent = new Agent(net, agentFile, {
        backend: "nftables",
        state_file: `${dir}/state.json`,
        max_bans_per_minute: 100000,
      });
      try {
        const s = await agent.send({ op: "start" });
        assert.match(s.backend, /nftables \(libnftables\)/);
        console.log((await banCycle(net, agent, "nftables")).join("\n"));
        // The kernel set holds both, with a timeout of 3 s.
        const v4 = await nftSet(net, "ban4");
        assert.deepEqual(v4.map((e) => e.val), [net.ipB]);
        assert.ok((v4[0]!.expires ?? 99) <= 3);
        assert.deepEqual((await nftSet(net, "ban6")).map((e) => e.val), [net.ip6B]);
        assert.ok(!(await connects(net, net.ipA)) && !(await connects(net, net.ip6A)));
        // Unban IPv4: works again at once; IPv6 stays banned until the kernel expires it.
        await agent.send({ op: "unban", ip: net.ipB });
        assert.ok(await connects(net, net.ipA), "IPv4 connects after unban");
        assert.deepEqual(await nftSet(net, "ban4"), []);
        assert.ok(!(await connects(net, net.ip6A)), "IPv6 still banned");
        const expiredAfter = await waitFor("IPv6 ban expiry", () => connects(net, net.ip6A), 5000);
        console.log(
          `nftables: IPv6 ban expired in the kernel; connection works ${
            expiredAfter.toFixed(0)
          } ms after the unban of IPv4`,
        );
        assert.deepEqual(await nftSet(net, "ban6"), []);
        // Re-banning refreshes the timeout (add + delete + add in one batch), also through the
        // nft command, and a ban of an address that is not there yet works in the same batch.
        const first = await agent.send({ op: "direct", bans: [["192.0.2.50", 5]] });
        assert.equal(first.failed, 0);
        const again = await agent.send({
          op: "direct",
          via: "nft command",
          bans: [["192.0.2.50", 500], ["192.0.2.51", 50]],
        });
        assert.match(again.via, /nft command/);
        const byIp = new Map(again.kernel.map((e: any) => [e.ip, e]));
        assert.ok((byIp.get("192.0.2.50") as any).expiresS > 490, JSON.stringify(again.kernel));
        assert.equal((byIp.get("192.0.2.50") as any).timeoutS, 500);
        assert.equal((byIp.get("192.0.2.51") as any).timeoutS, 50);
        console.log(
          `nftables: refresh batch through the nft command: ${
            again.ms.toFixed(1)
          } ms; through libnftables: ${first.ms.toFixed(2)} ms`,
        );
        await net.must(net.nsA, ["nft", "flush", "set", "inet", "pcap_ts", "ban4"]);
        // One batch of 1000 bans through libnftables.
        const bulk = await agent.send({ op: "bulk", count: 1000 });
        assert.deepEqual([bulk.applied, bulk.failed], [1000, 0]);
        assert.equal((await nftSet(net, "ban4")).length, 1000);
        console.log(`nftables: 1000 bans in one libnftables batch: ${bulk.ms.toFixed(1)} ms`);
        // The expiry is reported by the manager's 1 s sweep.
        await waitFor("the expiry event", async () =>
          (await agent.send({ op: "events" })).length === 4, 2000);
        const events = await agent.send({ op: "events" });
        assert.deepEqual(
          events.map((e: any) => [e.ip, e.action, e.reason]),
          [[net.ipB, "add", "test ban"], [net.ip6B, "add", "test ban"], [
            net.ipB,
            "remove",
            "unbanned",
          ], [net.ip6B, "remove", "expired"]],
        );
      } finally {
        await agent.stop();
      }
      // stop() leaves the table (bans survive a restart).
      assert.match(await net.must(net.nsA, ["nft", "list", "tables"]), /table inet pcap_ts/);
    }),
});

Deno.test({
  name:
    "iptables + ipset backend in a namespace: ban blocks B (IPv4 and IPv6), unban and expiry lift it",
  ignore: skip !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withNet(41, async (net, dir, agentFile) => {
      const agent = new Agent(net, agentFile, {
        backend: "iptables",
        state_file: `${dir}/state.json`,
        max_bans_per_minute: 100000,
      });
      try {
        const s = await agent.send({ op: "start" });
        assert.match(s.backend, /iptables \+ ipset/);
        // Setup is idempotent: a second start adds no rule twice.
        await agent.send({ op: "start" });
        const rules = await net.must(net.nsA, ["iptables", "-S"]);
        assert.equal(rules.match(/-j pcap_ts_input/g)?.length, 1, rules);
        assert.equal(rules.match(/--match-set pcap_ts_ban4 src -j DROP/g)?.length, 1, rules);
        console.log((await banCycle(net, agent, "iptables+ipset")).join("\n"));
        assert.match(
          await net.must(net.nsA, ["ipset", "save", "pcap_ts_ban4"]),
          new RegExp(
            `add pcap_ts_ban4 ${net.ipB.replaceAll(".", "\\.")} timeout [123] comment "test ban"`,
          ),
        );
        assert.match(
          await net.must(net.nsA, ["ipset", "save", "pcap_ts_ban6"]),
          new RegExp(`add pcap_ts_ban6 ${net.ip6B} timeout`),
        );
        await agent.send({ op: "unban", ip: net.ipB });
        assert.ok(await connects(net, net.ipA), "IPv4 connects after unban");
        assert.ok(!(await connects(net, net.ip6A)), "IPv6 still banned");
        const expiredAfter = await waitFor("IPv6 ban expiry", () => connects(net, net.ip6A), 5000);
        console.log(
          `iptables+ipset: IPv6 ban expired in the kernel; connection works ${
            expiredAfter.toFixed(0)
          } ms after the IPv4 unban`,
        );
        const bulk = await agent.send({ op: "bulk", count: 1000 });
        assert.deepEqual([bulk.applied, bulk.failed], [1000, 0]);
        console.log(`iptables+ipset: 1000 bans in one ipset restore: ${bulk.ms.toFixed(1)} ms`);
      } finally {
        await agent.stop();
      }
    }),
});

async function restartCase(
  net: TestNet,
  dir: string,
  agentFile: string,
  backend: "nftables" | "iptables",
) {
  const cfg = { backend, state_file: `${dir}/state.json` };
  const first = new Agent(net, agentFile, cfg);
  await first.send({ op: "start" });
  await first.send({ op: "ban", ip: net.ipB, durationS: 30 });
  await first.send({ op: "ban", ip: net.ip6B, durationS: 30 });
  await first.kill();
  assert.ok(!(await connects(net, net.ipA)), "still banned after the crash");
  const saved = JSON.parse(await Deno.readTextFile(`${dir}/state.json`));
  assert.deepEqual(saved.bans.map((b: { ip: string }) => b.ip).sort(), [net.ipB, net.ip6B].sort());
  // While it is down: the IPv6 ban vanishes from the kernel, an operator adds another.
  if (backend === "nftables") {
    assert.deepEqual((await nftSet(net, "ban4")).map((e) => e.val), [net.ipB]);
    await net.must(net.nsA, [
      "nft",
      "delete",
      "element",
      "inet",
      "pcap_ts",
      "ban6",
      `{ ${net.ip6B} }`,
    ]);
    await net.must(net.nsA, [
      "nft",
      "add",
      "element",
      "inet",
      "pcap_ts",
      "ban4",
      "{ 192.0.2.99 timeout 20s }",
    ]);
  } else {
    assert.match(
      await net.must(net.nsA, ["ipset", "save", "pcap_ts_ban4"]),
      new RegExp(`add pcap_ts_ban4 ${net.ipB} timeout`),
    );
    await net.must(net.nsA, ["ipset", "del", "pcap_ts_ban6", net.ip6B]);
    await net.must(net.nsA, ["ipset", "add", "pcap_ts_ban4", "192.0.2.99", "timeout", "20"]);
  }
  assert.ok(await connects(net, net.ip6A), "the IPv6 ban is gone while pcap_ts is down");
  const second = new Agent(net, agentFile, cfg);
  try {
    const s = await second.send({ op: "start" });
    assert.deepEqual(s.report, { kept: 1, readded: 1, adopted: 1, expired: 0, warning: null });
    const l = await second.send({ op: "list" });
    const v4 = l.kernel.find((e: any) => e.ip === net.ipB);
    assert.ok(v4.expiresS > 20 && v4.expiresS <= 30, `remaining ${v4.expiresS}`);
    const v6 = l.kernel.find((e: any) => e.ip === net.ip6B);
    assert.ok(v6.expiresS > 20 && v6.expiresS <= 30, `re-added with remaining ${v6.expiresS}`);
    assert.deepEqual(l.bans.map((b: any) => b.ip).sort(), ["192.0.2.99", net.ipB, net.ip6B].sort());
    assert.ok(!(await connects(net, net.ipA)) && !(await connects(net, net.ip6A)));
  } finally {
    await second.stop();
  }
}

for (const [id, backend] of [[42, "nftables"], [46, "iptables"]] as const) {
  Deno.test({
    name:
      `a ban survives kill -9 of pcap_ts (${backend}): still in the kernel, restored with its remaining time`,
    ignore: skip !== null,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: () => withNet(id, (net, dir, agentFile) => restartCase(net, dir, agentFile, backend)),
  });
}

Deno.test({
  name: "refusals in a namespace: gateway, own address, allowlist; bans CLI list/unban/flush",
  ignore: skip !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withNet(43, async (net, dir, agentFile) => {
      // B is A's default gateway here.
      await net.must(net.nsA, ["ip", "route", "add", "default", "via", net.ipB]);
      const agent = new Agent(net, agentFile, {
        backend: "nftables",
        state_file: `${dir}/state.json`,
        allowlist: ["192.0.2.0/24"],
      });
      try {
        await agent.send({ op: "start" });
        const reasons = [];
        for (const ip of [net.ipB, net.ipA, "192.0.2.5", "127.0.0.1", "fe80::1"]) {
          reasons.push((await agent.send({ op: "ban", ip })).decision.reason);
        }
        assert.deepEqual(reasons, [
          "gateway",
          "own address",
          "allowlist",
          "loopback",
          "link-local",
        ]);
        assert.deepEqual(await nftSet(net, "ban4"), []);
        assert.ok(await connects(net, net.ipA));
        // The CLI functions, on the real kernel set.
        await agent.send({ op: "ban", ip: net.ip6B });
        const list = await agent.send({ op: "cli", fn: "list" });
        assert.equal(list.code, 0);
        const rows = JSON.parse(list.text);
        assert.deepEqual(
          rows.map((
            r: { ip: string; kind: string; offences: number },
          ) => [r.ip, r.kind, r.offences]),
          [[net.ip6B, "ban", 1]],
        );
        assert.ok(rows[0].expires_s > 590 && rows[0].expires_s <= 600);
        assert.deepEqual(await agent.send({ op: "cli", fn: "unban", ip: "not-an-ip" }), {
          code: 2,
          text:
            'Not a valid IP address or prefix: "not-an-ip" (expected e.g. 192.0.2.7 or 2001:db8::7)',
        });
        assert.deepEqual(await agent.send({ op: "cli", fn: "unban", ip: "198.51.100.1" }), {
          code: 1,
          text: '198.51.100.1 is not banned (see "pcap_ts bans list")',
        });
        assert.deepEqual(await agent.send({ op: "cli", fn: "unban", ip: net.ip6B.toUpperCase() }), {
          code: 0,
          text: `Removed the ban of ${net.ip6B}`,
        });
        assert.ok(await connects(net, net.ip6A));
        await agent.send({ op: "ban", ip: "198.51.100.7" });
        assert.deepEqual(await agent.send({ op: "cli", fn: "flush" }), {
          code: 0,
          text: "Removed 1 ban",
        });
        assert.deepEqual(await nftSet(net, "ban4"), []);
        const saved = JSON.parse(await Deno.readTextFile(`${dir}/state.json`));
        assert.deepEqual(saved.bans, []);
      } finally {
        await agent.stop();
      }
    }),
});

Deno.test({
  name: "bans CLI without privilege says to run as root or with CAP_NET_ADMIN (both backends)",
  ignore: skip !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const net = await createTestNet(44);
    const dir = await Deno.makeTempDir({ prefix: "pcap_ts_ban" });
    try {
      await Deno.chmod(dir, 0o777);
      const script = `${dir}/cli.ts`;
      await Deno.writeTextFile(
        script,
        `import { bansList, bansUnban, bansFlush } from "${
          new URL("../actions/ban_cli.ts", import.meta.url).href
        }";
import { RESPONSE_BAN_SECTION } from "${new URL("../actions/ban_config.ts", import.meta.url).href}";
import { sectionDefaults } from "${new URL("../config/spec.ts", import.meta.url).href}";
const r = { ...sectionDefaults(RESPONSE_BAN_SECTION), backend: Deno.args[0], state_file: "${dir}/state.json" };
console.log(JSON.stringify([await bansList(r), await bansUnban(r, "192.0.2.1"), await bansFlush(r)]));`,
      );
      await Deno.chmod(script, 0o644);
      for (const backend of ["nftables", "iptables"]) {
        const out = await net.must(net.nsA, [
          "setpriv",
          "--reuid=65534",
          "--regid=65534",
          "--clear-groups",
          "env",
          `DENO_DIR=${dir}/deno`,
          `HOME=${dir}`,
          Deno.execPath(),
          "run",
          "-A",
          script,
          backend,
        ]);
        const text = "Operation not permitted — run as root or with CAP_NET_ADMIN";
        assert.deepEqual(
          JSON.parse(out),
          [{ code: 1, text }, { code: 1, text }, { code: 1, text }],
          backend,
        );
      }
    } finally {
      await net.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
