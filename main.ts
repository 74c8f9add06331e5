/**
 * pcap_ts entry point: `deno run ... main.ts [options]` or the compiled `pcap_ts` executable.
 *
 * Handles usage, `--help`, `--version` and the `config` commands itself, loads the config, and
 * hands analysis, bans and interfaces to `app.ts`.
 *
 * @module
 */

import {
  applyCommandLine,
  type Command,
  ExitCode,
  HELP,
  parseCommandLine,
  UsageError,
  VERSION,
} from "./cli.ts";
import {
  type Config,
  ConfigError,
  defaultConfig,
  loadConfig,
  renderDefaultConfig,
  SECTIONS,
} from "./config/mod.ts";
import { runAnalysis, runBans, runInterfaces } from "./app.ts";

function printError(message: string): void {
  console.error(`pcap_ts: ${message}`);
}

async function configFor(path: string | null): Promise<Config> {
  return path === null ? defaultConfig() : await loadConfig(path);
}

async function dispatch(cmd: Command): Promise<number> {
  switch (cmd.kind) {
    case "help":
      console.log(HELP.trimEnd());
      return ExitCode.ok;
    case "version":
      console.log(`pcap_ts ${VERSION} (deno ${Deno.version.deno})`);
      return ExitCode.ok;
    case "config-default":
      await Deno.stdout.write(new TextEncoder().encode(renderDefaultConfig(SECTIONS)));
      return ExitCode.ok;
    case "config-check":
      await loadConfig(cmd.file);
      console.log(`${cmd.file}: valid`);
      return ExitCode.ok;
    case "analyse": {
      const config = applyCommandLine(await configFor(cmd.options.config), cmd.options);
      return await runAnalysis(cmd, config);
    }
    case "bans-list":
    case "bans-unban":
    case "bans-flush":
      return await runBans(cmd, await configFor(cmd.config));
    case "interfaces":
      return await runInterfaces();
  }
}

/**
 * Runs pcap_ts with `argv` (the arguments after the program name); resolves to the exit
 * status: 0 success, 2 bad usage or config, 1 runtime failure.
 */
export async function main(argv: readonly string[]): Promise<number> {
  let cmd: Command;
  try {
    cmd = parseCommandLine(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      printError(e.message);
      console.error("Run 'pcap_ts --help' for the usage.");
      return ExitCode.usage;
    }
    throw e;
  }
  try {
    return await dispatch(cmd);
  } catch (e) {
    if (e instanceof ConfigError || e instanceof UsageError) {
      printError(e.message);
      return ExitCode.usage;
    }
    printError(e instanceof Error ? e.message : String(e));
    return ExitCode.runtime;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
