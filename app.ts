/**
 * The commands that need capture, analysis and the firewall. The integrator replaces this
 * file with the real wiring; until then each function throws, so `main.ts` exits with status 1
 * and says so.
 *
 * @module
 */

import type { Command } from "./cli.ts";
import type { Config } from "./config/mod.ts";

/** Live or offline analysis (`pcap_ts [options]`). Resolves to the exit status. */
export function runAnalysis(
  _cmd: Extract<Command, { kind: "analyse" }>,
  _config: Config,
): Promise<number> {
  return Promise.reject(new Error("analysis is not implemented in this build yet"));
}

/** `pcap_ts bans list|unban|flush`. Resolves to the exit status. */
export function runBans(
  _cmd: Extract<Command, { kind: "bans-list" | "bans-unban" | "bans-flush" }>,
  _config: Config,
): Promise<number> {
  return Promise.reject(new Error("the bans commands are not implemented in this build yet"));
}

/** `pcap_ts interfaces`. Resolves to the exit status. */
export function runInterfaces(): Promise<number> {
  return Promise.reject(new Error("the interfaces command is not implemented in this build yet"));
}
