import assert from "node:assert/strict";
import {
  BanError,
  canonicalTarget,
  DryRunBackend,
  isPermissionError,
  MemoryBackend,
} from "./firewall.ts";
import { NftablesBackend, type NftExecutor } from "./nft_backend.ts";
import type { NftRunResult } from "../ffi/libnftables.ts";

Deno.test("canonicalTarget() canonicalises and refuses prefixes except IPv6 bans", () => {
  assert.equal(canonicalTarget("FD00::0:5", "ban"), "fd00::5");
  assert.equal(canonicalTarget("::ffff:192.0.2.1", "block"), "192.0.2.1");
  assert.equal(canonicalTarget("fd00:1::/64", "ban"), "fd00:1::/64");
  assert.throws(() => canonicalTarget("10.0.0.0/8", "ban"), BanError);
  assert.throws(() => canonicalTarget("fd00:1::/64", "block"), BanError);
  assert.throws(
    () => canonicalTarget("example.com", "ban"),
    /Not a valid IP address or prefix: "example\.com"/,
  );
});

Deno.test("MemoryBackend queues until commit, keeps the last op per address, expires on its clock", async () => {
  let now = 1000_000;
  const b = new MemoryBackend({ nowMs: () => now });
  await b.start();
  b.ban("192.0.2.1", 10, "a");
  b.ban("192.0.2.2", 0, "forever");
  b.ban("192.0.2.3", 10, "x");
  b.unban("192.0.2.3");
  assert.equal(b.pending(), 3);
  assert.deepEqual(await b.list(), []);
  const r = await b.commit();
  assert.equal(r.applied, 3);
  assert.deepEqual(await b.list(), [
    { ip: "192.0.2.1", kind: "ban", expiresS: 10, timeoutS: 10, reason: "a" },
    { ip: "192.0.2.2", kind: "ban", expiresS: null, timeoutS: null, reason: "forever" },
  ]);
  now += 10_000;
  assert.deepEqual((await b.list()).map((e) => e.ip), ["192.0.2.2"]);
  await b.flush();
  assert.deepEqual(await b.list(), []);
});

Deno.test("DryRunBackend logs what it would do and changes nothing", async () => {
  const lines: string[] = [];
  const b = new DryRunBackend({ log: (l) => lines.push(l) });
  await b.start();
  b.ban("192.0.2.1", 600, "scan", "ban");
  b.ban("198.51.100.1", 0, "exfil", "block");
  b.unban("192.0.2.9");
  assert.equal((await b.commit()).applied, 3);
  assert.deepEqual(await b.list(), []);
  assert.deepEqual(lines, [
    "dry-run: would create table inet pcap_ts (or ipset sets) if missing",
    "dry-run: would ban 192.0.2.1 for 600s (scan)",
    "dry-run: would block 198.51.100.1 without a time limit (exfil)",
    "dry-run: would remove the ban of 192.0.2.9",
  ]);
});

/** Records nft text and answers from a script: a fake only of the C library's answers. */
class ScriptedNft implements NftExecutor {
  readonly via = "nft command" as const;
  readonly calls: string[] = [];
  constructor(readonly answer: (text: string) => NftRunResult) {}
  run(text: string): Promise<NftRunResult> {
    this.calls.push(text);
    return Promise.resolve(this.answer(text));
  }
  close() {}
}

Deno.test("NftablesBackend retries a failed batch one operation at a time and reports failures", async () => {
  const exec = new ScriptedNft((t) =>
    t.includes("192.0.2.66")
      ? {
        ok: false,
        output: "",
        error: "Error: Could not process rule: No buffer space available\n",
      }
      : { ok: true, output: "", error: "" }
  );
  const b = new NftablesBackend(exec);
  b.ban("192.0.2.1", 60, "a");
  b.ban("192.0.2.66", 60, "b");
  const r = await b.commit();
  assert.equal(r.applied, 1);
  assert.deepEqual(r.failed.map((f) => [f.op.ip, f.error]), [[
    "192.0.2.66",
    "Cannot apply add 192.0.2.66: Error: Could not process rule: No buffer space available",
  ]]);
  assert.equal(exec.calls.length, 3);
});

Deno.test("NftablesBackend turns permission errors into the run-as-root message", async () => {
  const b = new NftablesBackend(
    new ScriptedNft(() => ({
      ok: false,
      output: "",
      error: "Error: Could not process rule: Operation not permitted\n",
    })),
  );
  await assert.rejects(
    b.start(),
    /Cannot create table inet pcap_ts: Operation not permitted — run as root or with CAP_NET_ADMIN/,
  );
  await assert.rejects(b.list(), /Operation not permitted — run as root/);
  assert.ok(isPermissionError("ipset v7.17: Kernel error received: Operation not permitted"));
  assert.ok(!isPermissionError("Error: No such file or directory"));
});
