/**
 * The iptables + ipset fallback backend. Bans live in ipsets with per-entry timeouts (the
 * kernel expires them); one `-m set` DROP rule per set sits in chains of pcap_ts's own,
 * jumped to from INPUT/OUTPUT. Setup checks every rule with `-C` before adding it, so
 * running it again changes nothing and there is never a moment without the rules.
 *
 * `stop()` leaves sets, chains and jumps in place (bans survive a restart);
 * `stop({removeAll: true})` removes the jumps, the chains and then the sets.
 *
 * @module
 */

import {
  type BanEntry,
  BanError,
  type CommitResult,
  type FirewallBackend,
  type FirewallOp,
  isPermissionError,
  NOT_PERMITTED,
  QueuedBackend,
} from "./firewall.ts";
import { type CommandResult, type CommandRunner, runCommand } from "./firewall_runner.ts";
import {
  IPSET_SETS,
  ipsetDestroyArgv,
  ipsetFlushArgv,
  ipsetOpsText,
  ipsetRestoreArgv,
  ipsetSaveArgv,
  ipsetSetupText,
  iptablesRules,
  iptAppendArgv,
  iptCheckArgv,
  iptDeleteArgv,
  iptDeleteChainArgv,
  iptFlushChainArgv,
  iptInsertArgv,
  iptListChainArgv,
  iptNewChainArgv,
  parseIpsetSave,
} from "./ipset_commands.ts";

function failure(what: string, r: CommandResult): BanError {
  if (isPermissionError(r.stderr)) return new BanError(`${what}: ${NOT_PERMITTED}`);
  return new BanError(`${what}: ${r.stderr.trim().split("\n")[0] || `exit ${r.code}`}`);
}

/** The iptables + ipset backend. */
export class IpsetBackend extends QueuedBackend implements FirewallBackend {
  readonly name = "iptables" as const;
  readonly description = "iptables + ipset (sets pcap_ts_ban4/6, chains pcap_ts_input/output)";
  #run: CommandRunner;

  constructor(opts: { runner?: CommandRunner } = {}) {
    super();
    this.#run = opts.runner ?? runCommand;
  }

  async #must(what: string, argv: string[], stdin?: string): Promise<CommandResult> {
    const r = await this.#run(argv, stdin);
    if (r.code !== 0) throw failure(what, r);
    return r;
  }

  async start(): Promise<void> {
    await this.#must("Cannot create the pcap_ts ipsets", ipsetRestoreArgv(), ipsetSetupText());
    const { chains, rules, jumps } = iptablesRules();
    for (const c of chains) {
      if ((await this.#run(iptListChainArgv(c))).code !== 0) {
        await this.#must(`Cannot create chain ${c.chain}`, iptNewChainArgv(c));
      }
    }
    for (const r of rules) {
      if ((await this.#run(iptCheckArgv(r))).code !== 0) {
        await this.#must(`Cannot add a rule to ${r.chain}`, iptAppendArgv(r));
      }
    }
    for (const j of jumps) {
      if ((await this.#run(iptCheckArgv(j))).code !== 0) {
        await this.#must(`Cannot add the jump from ${j.chain}`, iptInsertArgv(j));
      }
    }
  }
  /** One `ipset restore -exist` for the whole queue; on failure each operation is retried alone. */
  async commit(): Promise<CommitResult> {
    const t0 = performance.now();
    const ops = this.queue.take();
    if (ops.length === 0) return { applied: 0, failed: [], ms: 0 };
    const r = await this.#run(ipsetRestoreArgv(), ipsetOpsText(ops));
    if (r.code === 0) return { applied: ops.length, failed: [], ms: performance.now() - t0 };
    const failed: { op: FirewallOp; error: string }[] = [];
    let applied = 0;
    for (const op of ops) {
      const one = await this.#run(ipsetRestoreArgv(), ipsetOpsText([op]));
      if (one.code === 0) applied++;
      else failed.push({ op, error: failure(`Cannot apply ${op.op} ${op.ip}`, one).message });
    }
    return { applied, failed, ms: performance.now() - t0 };
  }
  async list(): Promise<BanEntry[]> {
    const out: BanEntry[] = [];
    for (const s of IPSET_SETS) {
      const r = await this.#run(ipsetSaveArgv(s.name));
      if (r.code !== 0) {
        if (/does not exist/.test(r.stderr)) continue;
        throw failure(`Cannot list ipset ${s.name}`, r);
      }
      for (const e of parseIpsetSave(r.stdout)) {
        out.push({
          ip: e.ip,
          kind: e.set.includes("_block") ? "block" : "ban",
          expiresS: e.expiresS,
          timeoutS: null,
          reason: e.comment,
        });
      }
    }
    return out;
  }
  async flush(): Promise<void> {
    for (const s of IPSET_SETS) {
      const r = await this.#run(ipsetFlushArgv(s.name));
      if (r.code !== 0 && !/does not exist/.test(r.stderr)) {
        throw failure(`Cannot flush ipset ${s.name}`, r);
      }
    }
  }
  async stop(opts: { removeAll?: boolean } = {}): Promise<void> {
    if (!opts.removeAll) return;
    const { chains, jumps } = iptablesRules();
    for (const j of jumps) {
      while ((await this.#run(iptCheckArgv(j))).code === 0) {
        await this.#must(`Cannot remove the jump from ${j.chain}`, iptDeleteArgv(j));
      }
    }
    for (const c of chains) {
      if ((await this.#run(iptListChainArgv(c))).code !== 0) continue;
      await this.#must(`Cannot flush chain ${c.chain}`, iptFlushChainArgv(c));
      await this.#must(`Cannot delete chain ${c.chain}`, iptDeleteChainArgv(c));
    }
    for (const s of IPSET_SETS) {
      const r = await this.#run(ipsetDestroyArgv(s.name));
      if (r.code !== 0 && !/does not exist/.test(r.stderr)) {
        throw failure(`Cannot destroy ipset ${s.name}`, r);
      }
    }
  }
}
