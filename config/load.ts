/**
 * Reading the TOML config: parse, locate lines, validate.
 *
 * @module
 */

import { parse, TomlError } from "smol-toml";
import { locateLines } from "./_lines.ts";
import { ConfigError } from "./error.ts";
import { type ConfigOf, type Sections, validateDocument } from "./validate.ts";
import { type Config, SECTIONS } from "./schema.ts";

/** Parses and validates config text; throws {@link ConfigError} naming every problem. */
export function parseConfigWith<S extends Sections>(
  text: string,
  sourceName: string,
  sections: S,
): ConfigOf<S> {
  let doc: Record<string, unknown>;
  try {
    doc = parse(text) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof TomlError) {
      const what = e.message.split("\n")[0]!.replace(/^Invalid TOML document:\s*/, "");
      throw new ConfigError(sourceName, [{
        message:
          `Invalid TOML at line ${e.line}, column ${e.column}: ${what}; fix the syntax there`,
        line: e.line,
        column: e.column,
      }], { cause: e });
    }
    throw new ConfigError(sourceName, [{ message: `Cannot parse: ${String(e)}` }], { cause: e });
  }
  const { config, problems } = validateDocument(doc, sections, locateLines(text));
  if (problems.length > 0) throw new ConfigError(sourceName, problems);
  return config;
}

/**
 * Parses and validates config text against the full pcap_ts schema.
 *
 * @example
 * ```ts
 * import { parseConfig } from "./load.ts";
 * const config = parseConfig('[capture]\ninterface = "eth0"\n', "example.toml");
 * console.assert(config.capture.interface === "eth0");
 * ```
 */
export function parseConfig(text: string, sourceName = "config"): Config {
  return parseConfigWith(text, sourceName, SECTIONS);
}

/** The built-in defaults (what runs when no `--config` is given). */
export function defaultConfig(): Config {
  return parseConfigWith("", "built-in defaults", SECTIONS);
}

/** Reads and validates a config file; a missing or unreadable file is a {@link ConfigError}. */
export async function loadConfig(path: string): Promise<Config> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound
      ? "no such file; check the path, or run `pcap_ts config default > FILE` to write one"
      : e instanceof Deno.errors.PermissionDenied
      ? "permission denied; make it readable by the user running pcap_ts"
      : `${(e as Error).message}`;
    throw new ConfigError(path, [{ message: `Cannot read the file: ${why}` }], { cause: e });
  }
  return parseConfig(text, path);
}
