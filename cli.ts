/**
 * The command line of pcap_ts (DESIGN.md "Command line"), parsed by a pure function.
 *
 * @module
 */

import denoJson from "./deno.json" with { type: "json" };
import { nearest } from "./config/_suggest.ts";
import { parseCidr } from "./config/cidr.ts";
import type { Config } from "./config/mod.ts";

/** The program version (from deno.json). */
export const VERSION: string = denoJson.version;

/** Exit statuses: 0 success, 1 runtime failure, 2 bad usage or config. */
export const ExitCode = { ok: 0, runtime: 1, usage: 2 } as const;

/** Packet dump format of `--dump`. */
export type DumpFormat = "text" | "json";

/** Options of the analysis command (`pcap_ts [options]`); null when not given. */
export interface AnalysisOptions {
  /** `-i/--interface NAME`: capture device. */
  readonly interface: string | null;
  /** `-r/--read FILE`: offline capture file. */
  readonly read: string | null;
  /** `-c/--config FILE`: TOML config. */
  readonly config: string | null;
  /** `-f/--filter EXPR`: BPF filter. */
  readonly filter: string | null;
  /** `--dump[=text|json]`. */
  readonly dump: DumpFormat | null;
  /** `--eve FILE` (`-` for stdout). */
  readonly eve: string | null;
  /** `--dry-run`. */
  readonly dryRun: boolean;
  /** `--no-color`. */
  readonly noColor: boolean;
}

/** What the command line asks for. */
export type Command =
  | { readonly kind: "help" }
  | { readonly kind: "version" }
  | { readonly kind: "analyse"; readonly options: AnalysisOptions }
  | { readonly kind: "bans-list"; readonly json: boolean; readonly config: string | null }
  | { readonly kind: "bans-unban"; readonly ip: string; readonly config: string | null }
  | { readonly kind: "bans-flush"; readonly config: string | null }
  | { readonly kind: "interfaces" }
  | { readonly kind: "config-default" }
  | { readonly kind: "config-check"; readonly file: string };

/** Bad usage: the message names the flag or word and says what to do. Exit status 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** The `--help` text. */
export const HELP = `pcap_ts ${VERSION}: real-time network traffic analyser and defender

Usage:
  pcap_ts [options]               analyse live traffic (default interface: first up, non-loopback)
  pcap_ts bans list [--json]      list current bans
  pcap_ts bans unban IP           remove one ban
  pcap_ts bans flush              remove every ban pcap_ts made
  pcap_ts interfaces              list capture devices
  pcap_ts config default          print the commented default config
  pcap_ts config check FILE       validate a config file
  pcap_ts --version | --help

Options:
  -i, --interface NAME          capture device
  -r, --read FILE               analyse a pcap or pcapng file instead (offline; exits at its end)
  -c, --config FILE             TOML config (built-in defaults when absent)
  -f, --filter EXPR             BPF capture filter
      --dump[=text|json]        print every decoded packet (text: one line each; json: one object each)
      --eve FILE                append events as EVE-style JSON lines ('-' for stdout)
      --dry-run                 decide bans and notifications, but change no firewall and send nothing
      --no-color                no colours in console output (also: NO_COLOR=1)
  -h, --help                    show this help
  -V, --version                 show the version

The bans commands also take -c/--config FILE (to find the firewall backend).

Exit status: 0 success, 1 runtime failure, 2 bad usage or config.

Examples:
  sudo pcap_ts -i eth0 --eve /var/log/pcap_ts/eve.json
  pcap_ts -r capture.pcap --dump=json | jq .
  pcap_ts config default > pcap_ts.toml && pcap_ts config check pcap_ts.toml
`;

type ValueFlag = "interface" | "read" | "config" | "filter" | "eve";

const VALUE_FLAGS: Readonly<Record<string, { key: ValueFlag; what: string; example: string }>> = {
  "-i": { key: "interface", what: "a device name", example: "-i eth0" },
  "--interface": { key: "interface", what: "a device name", example: "--interface eth0" },
  "-r": { key: "read", what: "a capture file", example: "-r capture.pcap" },
  "--read": { key: "read", what: "a capture file", example: "--read capture.pcap" },
  "-c": { key: "config", what: "a config file", example: "-c pcap_ts.toml" },
  "--config": { key: "config", what: "a config file", example: "--config pcap_ts.toml" },
  "-f": { key: "filter", what: "a BPF filter", example: '-f "tcp port 80"' },
  "--filter": { key: "filter", what: "a BPF filter", example: '--filter "tcp port 80"' },
  "--eve": { key: "eve", what: "a file name ('-' for stdout)", example: "--eve eve.json" },
};

const BOOLEAN_FLAGS = ["--dry-run", "--no-color", "--dump", "-h", "--help", "-V", "--version"];
const ALL_FLAGS = [...Object.keys(VALUE_FLAGS), ...BOOLEAN_FLAGS];
const COMMANDS: Readonly<Record<string, readonly string[]>> = {
  bans: ["list", "unban", "flush"],
  interfaces: [],
  config: ["default", "check"],
};

function unknownFlag(flag: string, known: readonly string[]): UsageError {
  const name = flag.split("=")[0]!;
  // A one-letter option gets a guess only when it differs in case (-v for -V): any other
  // letter is as far from every option as the next.
  const guess = name.startsWith("--")
    ? nearest(name, known.filter((k) => k.startsWith("--")))
    : known.find((k) => !k.startsWith("--") && k.toLowerCase() === name.toLowerCase()) ??
      (name.length > 2 ? nearest(`-${name}`, known.filter((k) => k.startsWith("--"))) : null);
  return new UsageError(
    `Unknown option ${name}: ${
      guess ? `did you mean ${guess}?` : "see 'pcap_ts --help' for the options"
    }`,
  );
}

/**
 * Parses the arguments after the program name. Throws {@link UsageError} on bad usage.
 *
 * @example
 * ```ts
 * import { parseCommandLine } from "./cli.ts";
 * const cmd = parseCommandLine(["-r", "x.pcap", "--dump=json"]);
 * console.assert(cmd.kind === "analyse" && cmd.options.dump === "json");
 * ```
 */
export function parseCommandLine(argv: readonly string[]): Command {
  if (argv.some((a) => a === "-h" || a === "--help")) return { kind: "help" };
  if (argv.some((a) => a === "-V" || a === "--version")) return { kind: "version" };
  const first = argv[0];
  if (first !== undefined && !first.startsWith("-")) return parseSubcommand(first, argv.slice(1));
  return { kind: "analyse", options: parseAnalysis(argv) };
}

function parseAnalysis(argv: readonly string[]): AnalysisOptions {
  const values: Partial<Record<ValueFlag, string>> = {};
  let dump: DumpFormat | null = null;
  let dryRun = false, noColor = false;
  const seen = new Set<string>();
  const once = (name: string, flag: string) => {
    if (seen.has(name)) throw new UsageError(`Option ${flag} is given twice: give it once`);
    seen.add(name);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const flag = eq >= 0 ? arg.slice(0, eq) : arg;
    const inline = eq >= 0 ? arg.slice(eq + 1) : null;
    const valueFlag = VALUE_FLAGS[flag];
    if (valueFlag) {
      once(valueFlag.key, flag);
      let value = inline;
      if (value === null) {
        const next = argv[i + 1];
        if (next === undefined || (next.startsWith("-") && next !== "-")) {
          throw new UsageError(
            `Option ${flag} needs ${valueFlag.what}: write it after the option, as in ${valueFlag.example}`,
          );
        }
        value = next;
        i++;
      }
      if (value === "") {
        throw new UsageError(`Option ${flag} needs ${valueFlag.what}, not an empty string`);
      }
      values[valueFlag.key] = value;
    } else if (flag === "--dump") {
      once("dump", flag);
      if (inline === null || inline === "text") dump = "text";
      else if (inline === "json") dump = "json";
      else {
        throw new UsageError(
          `Cannot use --dump=${inline}: write --dump=text (one line per packet) or --dump=json`,
        );
      }
    } else if (flag === "--dry-run" || flag === "--no-color") {
      if (inline !== null) throw new UsageError(`Option ${flag} takes no value: write ${flag}`);
      once(flag, flag);
      if (flag === "--dry-run") dryRun = true;
      else noColor = true;
    } else if (ALL_FLAGS.includes(`-${flag}`)) {
      throw new UsageError(`Unknown option ${flag}: did you mean -${flag}?`);
    } else if (/^-[a-zA-Z]./.test(arg) && VALUE_FLAGS[arg.slice(0, 2)]) {
      // Short option with its value attached: -ieth0.
      const short = VALUE_FLAGS[arg.slice(0, 2)]!;
      once(short.key, arg.slice(0, 2));
      values[short.key] = arg.slice(2);
    } else if (arg.startsWith("-") && arg !== "-") {
      throw unknownFlag(arg, ALL_FLAGS);
    } else if (arg === "json" || arg === "text") {
      throw new UsageError(
        `Unexpected argument "${arg}": to choose the dump format write --dump=${arg}`,
      );
    } else if (COMMANDS[arg]) {
      throw new UsageError(
        `The command "${arg}" must come first: write pcap_ts ${arg} ... (options after it)`,
      );
    } else {
      const guess = nearest(arg, Object.keys(COMMANDS));
      throw new UsageError(
        `Unexpected argument "${arg}": ${
          guess
            ? `did you mean the command "${guess}"?`
            : "options start with - (see 'pcap_ts --help'); to read a capture file use -r FILE"
        }`,
      );
    }
  }
  if (values.read !== undefined && values.interface !== undefined) {
    throw new UsageError(
      "Options --read and --interface exclude each other: use -r FILE to analyse a file, " +
        "or -i NAME to capture live",
    );
  }
  return {
    interface: values.interface ?? null,
    read: values.read ?? null,
    config: values.config ?? null,
    filter: values.filter ?? null,
    dump,
    eve: values.eve ?? null,
    dryRun,
    noColor,
  };
}

function parseSubcommand(name: string, rest: readonly string[]): Command {
  const subs = COMMANDS[name];
  if (subs === undefined) {
    const guess = nearest(name, Object.keys(COMMANDS));
    throw new UsageError(
      `Unknown command "${name}": ${
        guess
          ? `did you mean "${guess}"?`
          : "the commands are bans, interfaces and config (see 'pcap_ts --help')"
      }`,
    );
  }
  if (name === "interfaces") {
    if (rest.length > 0) {
      throw new UsageError(`The interfaces command takes no arguments: remove "${rest[0]}"`);
    }
    return { kind: "interfaces" };
  }
  const sub = rest[0];
  if (sub === undefined || sub.startsWith("-")) {
    throw new UsageError(
      `The ${name} command needs one of: ${subs.join(", ")} (as in pcap_ts ${name} ${subs[0]})`,
    );
  }
  if (!subs.includes(sub)) {
    const guess = nearest(sub, subs);
    throw new UsageError(
      `Unknown ${name} command "${sub}": ${
        guess ? `did you mean "${name} ${guess}"?` : `use one of: ${subs.join(", ")}`
      }`,
    );
  }
  const args = rest.slice(1);
  if (name === "config") {
    if (sub === "default") {
      if (args.length > 0) {
        throw new UsageError(
          `The config default command takes no arguments: remove "${args[0]}" ` +
            "(redirect the output to write a file: pcap_ts config default > pcap_ts.toml)",
        );
      }
      return { kind: "config-default" };
    }
    const file = args[0];
    if (file === undefined || args.length > 1 || (file.startsWith("-") && file !== "-")) {
      throw new UsageError(
        "The config check command needs exactly one file: pcap_ts config check FILE",
      );
    }
    return { kind: "config-check", file };
  }
  // bans list|unban|flush, with -c/--config and (list only) --json.
  let config: string | null = null;
  let json = false;
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const flag = eq >= 0 ? arg.slice(0, eq) : arg;
    if (flag === "-c" || flag === "--config") {
      const value = eq >= 0 ? arg.slice(eq + 1) : args[++i];
      if (value === undefined || value === "" || value.startsWith("-")) {
        throw new UsageError(
          `Option ${flag} needs a config file: write it after the option, as in ${flag} pcap_ts.toml`,
        );
      }
      config = value;
    } else if (flag === "--json" && sub === "list") {
      if (eq >= 0) throw new UsageError("Option --json takes no value: write --json");
      json = true;
    } else if (arg.startsWith("-")) {
      const known = sub === "list" ? ["--json", "-c", "--config"] : ["-c", "--config"];
      throw unknownFlag(arg, known);
    } else positional.push(arg);
  }
  if (sub === "unban") {
    if (positional.length !== 1) {
      throw new UsageError(
        `The bans unban command needs exactly one IP address: pcap_ts bans unban 192.0.2.7`,
      );
    }
    const ip = positional[0]!;
    if (parseCidr(ip) === null) {
      throw new UsageError(
        `Cannot unban "${ip}": not an IP address; give one such as 192.0.2.7 or 2001:db8::7`,
      );
    }
    return { kind: "bans-unban", ip, config };
  }
  if (positional.length > 0) {
    throw new UsageError(`The bans ${sub} command takes no arguments: remove "${positional[0]}"`);
  }
  return sub === "list" ? { kind: "bans-list", json, config } : { kind: "bans-flush", config };
}

/**
 * The config with the command line's overrides applied (-i, -f, --eve, --dump, --no-color,
 * and --dry-run when a [response] section is registered). Returns a new deep-frozen config.
 */
export function applyCommandLine(config: Config, o: AnalysisOptions): Config {
  const over: Record<string, Record<string, unknown>> = {
    capture: {
      ...(o.interface !== null ? { interface: o.interface } : {}),
      ...(o.filter !== null ? { filter: o.filter } : {}),
    },
    output: {
      ...(o.eve !== null ? { eve: o.eve } : {}),
      ...(o.dump !== null ? { dump: o.dump } : {}),
      ...(o.noColor ? { color: "never" } : {}),
    },
    response: o.dryRun ? { dry_run: true } : {},
  };
  const out: Record<string, unknown> = { ...config };
  for (const [section, values] of Object.entries(over)) {
    const current = out[section] as Record<string, unknown> | undefined;
    if (current && Object.keys(values).length > 0) {
      out[section] = Object.freeze({ ...current, ...values });
    }
  }
  return Object.freeze(out) as Config;
}
