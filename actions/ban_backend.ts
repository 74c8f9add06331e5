/**
 * Chooses the firewall backend named by `response.backend` ("auto" picks nftables when it
 * works here, else iptables + ipset).
 *
 * @module
 */

import {
  BanError,
  DryRunBackend,
  type FirewallBackend,
  isPermissionError,
  MemoryBackend,
} from "./firewall.ts";
import { type CommandRunner, runCommand } from "./firewall_runner.ts";
import { IpsetBackend } from "./ipset_backend.ts";
import {
  LibnftablesExecutor,
  NftablesBackend,
  NftCommandExecutor,
  type NftExecutor,
} from "./nft_backend.ts";

/** True when the program exists here (it ran, whatever its exit status: it may need root). */
async function exists(runner: CommandRunner, argv: string[]): Promise<boolean> {
  try {
    await runner(argv);
    return true;
  } catch {
    return false;
  }
}

/** An nft executor that works on this host (or fails only for lack of privilege), else null. */
export async function findNftExecutor(
  runner: CommandRunner = runCommand,
): Promise<NftExecutor | null> {
  const usable = async (e: NftExecutor) => {
    const r = await e.run("list tables\n");
    // Without privilege nftables is still the right backend: the error names the fix later.
    return r.ok || isPermissionError(r.error);
  };
  try {
    const lib = new LibnftablesExecutor();
    if (await usable(lib)) return lib;
    lib.close();
  } catch {
    // libnftables missing: try the command.
  }
  if (await exists(runner, ["nft", "--version"])) {
    const cmd = new NftCommandExecutor({ runner });
    if (await usable(cmd)) return cmd;
  }
  return null;
}

/**
 * Makes the backend for `name`. `dryRun` overrides it with the dry-run backend. Throws
 * {@link BanError} when the named backend cannot work here.
 */
export async function createBackend(
  name: string,
  opts: { dryRun?: boolean; log?: (line: string) => void; runner?: CommandRunner } = {},
): Promise<FirewallBackend> {
  const runner = opts.runner ?? runCommand;
  if (opts.dryRun || name === "dry-run") {
    return new DryRunBackend(opts.log ? { log: opts.log } : {});
  }
  if (name === "memory") return new MemoryBackend();
  if (name === "nftables" || name === "auto") {
    const exec = await findNftExecutor(runner);
    if (exec) return new NftablesBackend(exec);
    if (name === "nftables") {
      throw new BanError(
        'response.backend = "nftables" but nftables does not work here: install nftables (libnftables1) or set response.backend = "iptables"',
      );
    }
  }
  if (name === "iptables" || name === "auto") {
    if (
      await exists(runner, ["ipset", "--version"]) &&
      await exists(runner, ["iptables", "--version"])
    ) {
      return new IpsetBackend({ runner });
    }
    throw new BanError(
      name === "auto"
        ? 'No firewall for bans: install nftables, or iptables and ipset, or set response.backend = "dry-run"'
        : 'response.backend = "iptables" needs the iptables and ipset commands: install them',
    );
  }
  throw new BanError(
    `Cannot use "response.backend" = "${name}": expected "auto", "nftables", "iptables", "dry-run" or "memory"`,
  );
}
