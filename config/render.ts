/**
 * The commented default config: every section and key with its documentation and default.
 *
 * @module
 */

import type { KeySpec, RecordValue, SectionSpec } from "./spec.ts";
import { formatDuration } from "./duration.ts";
import { expectation, type Sections } from "./validate.ts";

const WIDTH = 98;

/** Wraps text into comment lines (`prefix` then words) of at most {@link WIDTH} columns. */
export function commentLines(text: string, prefix = "# "): string[] {
  const out: string[] = [];
  for (const para of text.split(/\n/)) {
    let line = "";
    for (const word of para.split(/\s+/).filter((w) => w !== "")) {
      if (line !== "" && prefix.length + line.length + 1 + word.length > WIDTH) {
        out.push(`${prefix}${line}`);
        line = word;
      } else line = line === "" ? word : `${line} ${word}`;
    }
    out.push(line === "" ? prefix.trimEnd() : `${prefix}${line}`);
  }
  return out;
}

/** A key name as TOML needs it (bare when possible, quoted otherwise). */
function tomlKey(k: string): string {
  return /^[A-Za-z0-9_-]+$/.test(k) ? k : JSON.stringify(k);
}

/** Writes one value in TOML syntax (strings as JSON, which TOML basic strings accept). */
export function tomlValue(spec: KeySpec, v: unknown): string {
  if (spec.type === "duration") return JSON.stringify(formatDuration(v as number));
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number") {
    if (Number.isNaN(v)) return "nan";
    if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
    return String(v);
  }
  if (typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return `[${v.map((x) => JSON.stringify(x)).join(", ")}]`;
  return JSON.stringify(v);
}

function defaultText(spec: KeySpec): string {
  if (spec.type === "records") return spec.default.length === 0 ? "none" : "the entries below";
  return tomlValue(spec, spec.default);
}

function renderKey(name: string, spec: KeySpec): string[] {
  return [
    ...commentLines(spec.doc),
    ...commentLines(`Default: ${defaultText(spec)}. Allowed: ${expectation(spec)}.`),
    `${tomlKey(name)} = ${tomlValue(spec, spec.default)}`,
  ];
}

function renderRecords(
  section: string,
  name: string,
  spec: Extract<KeySpec, { type: "records" }>,
): string[] {
  const out = [
    ...commentLines(spec.doc),
    ...commentLines(`Default: ${defaultText(spec)}. Each entry has:`),
  ];
  for (const [f, fs] of Object.entries(spec.fields)) {
    out.push(
      ...commentLines(
        `${f}: ${fs.doc} Default: ${defaultText(fs)}. Allowed: ${expectation(fs)}.`,
        "#   ",
      ),
    );
  }
  if (spec.default.length === 0) {
    out.push(`${tomlKey(name)} = []`);
    return out;
  }
  spec.default.forEach((entry: RecordValue, i) => {
    if (i > 0) out.push("");
    out.push(`[[${section}.${tomlKey(name)}]]`);
    for (const [f, fs] of Object.entries(spec.fields)) {
      out.push(`${tomlKey(f)} = ${tomlValue(fs, entry[f] ?? fs.default)}`);
    }
  });
  return out;
}

function renderSection(name: string, spec: SectionSpec): string[] {
  const out = [...commentLines(spec.doc), `[${name}]`];
  const entries = Object.entries(spec.keys);
  const plain = entries.filter(([, k]) => k.type !== "records" || k.default.length === 0);
  const tables = entries.filter(([, k]) => k.type === "records" && k.default.length > 0);
  for (const [k, ks] of plain) {
    out.push("", ...(ks.type === "records" ? renderRecords(name, k, ks) : renderKey(k, ks)));
  }
  for (const [k, ks] of tables) {
    if (ks.type === "records") out.push("", ...renderRecords(name, k, ks));
  }
  return out;
}

/**
 * The complete commented default config for `sections`: every key with its doc comment
 * (meaning, default, allowed values, trade-off) and its default value. It parses and validates
 * to the defaults.
 */
export function renderDefaultConfig(sections: Sections): string {
  const out = [
    "# pcap_ts configuration (TOML).",
    "# Every key is shown with its default value; delete or comment out what you do not change.",
    "# Check a file with: pcap_ts config check FILE",
    '# Durations: "90s", "10m", "1h", "7d", "1h30m" or a number of seconds.',
  ];
  for (const [name, spec] of Object.entries(sections)) {
    out.push("", "", ...renderSection(name, spec));
  }
  return out.join("\n") + "\n";
}
