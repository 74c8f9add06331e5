/**
 * The nftables backend (the default): table `inet pcap_ts`, applied through libnftables in
 * this process when it loads, else through `nft -f -` (one child process per batch).
 *
 * `stop()` leaves the table in place: its sets carry kernel timeouts, so bans keep working
 * and expire on time while pcap_ts is stopped or restarting. `stop({removeAll: true})` (for
 * uninstall and tests) deletes the table.
 *
 * @module
 */

import { Libnftables, type NftRunResult } from "../ffi/libnftables.ts";
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
import { type CommandRunner, runCommand } from "./firewall_runner.ts";
import {
  nftDeleteTable,
  nftFlushSets,
  nftListTable,
  nftOpsBatch,
  nftSetupBatch,
  parseNftJsonSets,
} from "./nft_commands.ts";

/** Something that runs nft command text as one transaction. */
export interface NftExecutor {
  readonly via: "libnftables" | "nft command";
  run(commands: string, opts?: { json?: boolean }): Promise<NftRunResult>;
  close(): void;
}

/** Runs nft text through libnftables (FFI, ≈ 0.1 ms a batch, no child process). */
export class LibnftablesExecutor implements NftExecutor {
  readonly via = "libnftables" as const;
  #lib: Libnftables;
  constructor(lib: Libnftables = Libnftables.open()) {
    this.#lib = lib;
  }
  run(commands: string, opts: { json?: boolean } = {}): Promise<NftRunResult> {
    return Promise.resolve(this.#lib.run(commands, opts));
  }
  close(): void {
    this.#lib.close();
  }
}

/**
 * The argv for the `nft` command: a batch is read from stdin (`nft -f -`); a JSON listing is
 * one command given as words (`nft -j list table inet pcap_ts`), because with `-j` nft reads
 * its input as JSON.
 */
export function nftArgv(opts: { json?: string; nft?: string } = {}): string[] {
  const nft = opts.nft ?? "nft";
  if (opts.json === undefined) return [nft, "-f", "-"];
  const words = opts.json.trim().split(/\s+/);
  if (opts.json.trim().includes("\n")) throw new Error("nftArgv(): a JSON listing is one command");
  return [nft, "-j", ...words];
}

/** Runs nft text through the `nft` command (`nft -f -`, text on stdin). */
export class NftCommandExecutor implements NftExecutor {
  readonly via = "nft command" as const;
  #runner: CommandRunner;
  #nft: string;
  constructor(opts: { runner?: CommandRunner; nft?: string } = {}) {
    this.#runner = opts.runner ?? runCommand;
    this.#nft = opts.nft ?? "nft";
  }
  async run(commands: string, opts: { json?: boolean } = {}): Promise<NftRunResult> {
    const r = opts.json
      ? await this.#runner(nftArgv({ nft: this.#nft, json: commands }))
      : await this.#runner(nftArgv({ nft: this.#nft }), commands);
    return { ok: r.code === 0, output: r.stdout, error: r.stderr };
  }
  close(): void {}
}

/** Picks libnftables when it loads, else the `nft` command. */
export function defaultNftExecutor(): NftExecutor {
  try {
    return new LibnftablesExecutor();
  } catch {
    return new NftCommandExecutor();
  }
}

function nftFailure(what: string, r: NftRunResult): BanError {
  const msg = r.error.trim().split("\n")[0] ?? "";
  if (isPermissionError(r.error)) return new BanError(`${what}: ${NOT_PERMITTED}`);
  return new BanError(`${what}: ${msg || "nft failed"}`);
}

function tableMissing(r: NftRunResult): boolean {
  return /No such file or directory/.test(r.error);
}

/** The nftables backend. */
export class NftablesBackend extends QueuedBackend implements FirewallBackend {
  readonly name = "nftables" as const;
  #exec: NftExecutor;

  constructor(exec: NftExecutor = defaultNftExecutor()) {
    super();
    this.#exec = exec;
  }
  get description(): string {
    return `nftables (${this.#exec.via}), table inet pcap_ts`;
  }
  async start(): Promise<void> {
    const r = await this.#exec.run(nftSetupBatch());
    if (!r.ok) throw nftFailure("Cannot create table inet pcap_ts", r);
  }
  /**
   * Applies the queue as one transaction. If the batch fails (a permission error, a table
   * deleted by someone else), each operation is retried alone so one bad element cannot
   * hold back the rest, and the failures are reported.
   */
  async commit(): Promise<CommitResult> {
    const t0 = performance.now();
    const ops = this.queue.take();
    if (ops.length === 0) return { applied: 0, failed: [], ms: 0 };
    const r = await this.#exec.run(nftOpsBatch(ops));
    if (r.ok) return { applied: ops.length, failed: [], ms: performance.now() - t0 };
    const failed: { op: FirewallOp; error: string }[] = [];
    let applied = 0;
    for (const op of ops) {
      const one = await this.#exec.run(nftOpsBatch([op]));
      if (one.ok) applied++;
      else failed.push({ op, error: nftFailure(`Cannot apply ${op.op} ${op.ip}`, one).message });
    }
    return { applied, failed, ms: performance.now() - t0 };
  }
  async list(): Promise<BanEntry[]> {
    const r = await this.#exec.run(nftListTable(), { json: true });
    if (!r.ok) {
      if (tableMissing(r)) return [];
      throw nftFailure("Cannot list table inet pcap_ts", r);
    }
    return parseNftJsonSets(r.output).map((e) => ({
      ip: e.ip,
      kind: e.set.startsWith("block") ? "block" : "ban",
      expiresS: e.expiresS,
      timeoutS: e.timeoutS,
      reason: e.comment,
    }));
  }
  async flush(): Promise<void> {
    const r = await this.#exec.run(nftFlushSets());
    if (!r.ok && !tableMissing(r)) throw nftFailure("Cannot flush the pcap_ts sets", r);
  }
  async stop(opts: { removeAll?: boolean } = {}): Promise<void> {
    try {
      if (opts.removeAll) {
        const r = await this.#exec.run(nftDeleteTable());
        if (!r.ok) throw nftFailure("Cannot delete table inet pcap_ts", r);
      }
    } finally {
      this.#exec.close();
    }
  }
}
