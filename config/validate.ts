/**
 * Validation of a parsed TOML document against declared {@link SectionSpec}s.
 *
 * @module
 */

import type { KeySpec, RecordValue, SectionSpec, SectionValues } from "./spec.ts";
import { formatDuration, parseDuration } from "./duration.ts";
import { parseCidr } from "./cidr.ts";
import { nearest } from "./_suggest.ts";
import type { ConfigProblem } from "./error.ts";

/** The registry shape: section name (`capture`, `notify.email`) to its spec. */
export type Sections = Readonly<Record<string, SectionSpec>>;

/** The validated config of a registry: one frozen object of values per section. */
export type ConfigOf<S extends Sections> = {
  readonly [N in keyof S]: SectionValues<S[N]>;
};

type Value = boolean | number | string | readonly string[] | readonly RecordValue[];

/** Shows a TOML value the way the user wrote it, shortened. */
export function showValue(v: unknown): string {
  let s: string;
  if (v instanceof Date) s = v.toISOString();
  else if (typeof v === "bigint") s = String(v);
  else {
    try {
      s = JSON.stringify(v) ?? String(v);
    } catch {
      s = String(v);
    }
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function range(min: number | undefined, max: number | undefined, show: (n: number) => string) {
  if (min !== undefined && max !== undefined) return ` from ${show(min)} to ${show(max)}`;
  if (min !== undefined) return ` of at least ${show(min)}`;
  if (max !== undefined) return ` of at most ${show(max)}`;
  return "";
}

/** What a key accepts, as the end of "expected ...". */
export function expectation(spec: KeySpec): string {
  switch (spec.type) {
    case "boolean":
      return "true or false";
    case "integer":
      return `a whole number${range(spec.min, spec.max, String)}`;
    case "number":
      return `a number${range(spec.min, spec.max, String)}`;
    case "string":
      return spec.choices
        ? `one of ${spec.choices.map((c) => JSON.stringify(c)).join(", ")}`
        : "a string in quotes";
    case "duration": {
      const r = range(spec.min, spec.max, (n) => `"${formatDuration(n)}"`);
      return `a duration such as "10m" or "1h"${r ? ` (${r.trim()})` : ""}`;
    }
    case "cidrs":
      return 'a list of IP addresses or CIDR blocks such as ["192.0.2.0/24", "2001:db8::/32"]';
    case "strings":
      return 'a list of strings such as ["a", "b"]';
    case "records":
      return "tables written as [[section.key]] entries";
  }
}

const isTable = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);

function inRange(n: number, spec: { min?: number; max?: number }): boolean {
  return (spec.min === undefined || n >= spec.min) && (spec.max === undefined || n <= spec.max);
}

/** Checks one value; returns the validated value, or an explanation (after "expected"). */
function checkValue(spec: KeySpec, v: unknown): { ok: Value } | { why: string } {
  const fail = (detail = "") => ({ why: `${detail}expected ${expectation(spec)}` });
  switch (spec.type) {
    case "boolean":
      return typeof v === "boolean" ? { ok: v } : fail();
    case "integer": {
      const n = typeof v === "bigint" ? Number(v) : v;
      return typeof n === "number" && Number.isInteger(n) && inRange(n, spec) ? { ok: n } : fail();
    }
    case "number": {
      const n = typeof v === "bigint" ? Number(v) : v;
      return typeof n === "number" && Number.isFinite(n) && inRange(n, spec) ? { ok: n } : fail();
    }
    case "string":
      if (typeof v !== "string") return fail();
      if (spec.choices && !spec.choices.includes(v)) return fail();
      return { ok: v };
    case "duration": {
      const s = parseDuration(typeof v === "bigint" ? Number(v) : v);
      return s !== null && inRange(s, spec) ? { ok: s } : fail();
    }
    case "cidrs":
    case "strings": {
      if (!Array.isArray(v)) return fail();
      for (const item of v) {
        if (typeof item !== "string") return fail(`${showValue(item)} is not a string; `);
        if (spec.type === "cidrs" && parseCidr(item) === null) {
          return fail(`${showValue(item)} is not an IP address or CIDR block; `);
        }
      }
      return { ok: Object.freeze([...v as string[]]) };
    }
    case "records":
      return fail(); // handled by validateRecords
  }
}

function deepFreeze<T>(v: T): T {
  if (typeof v === "object" && v !== null && !Object.isFrozen(v)) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

/**
 * Validates a parsed TOML document (`smol-toml`'s result) against `sections`.
 * Returns the deep-frozen values (missing keys take their defaults) and the problems found;
 * the values are only meaningful when there are no problems.
 */
export function validateDocument<S extends Sections>(
  doc: Record<string, unknown>,
  sections: S,
  lines: ReadonlyMap<string, number> = new Map(),
): { config: ConfigOf<S>; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const names = Object.keys(sections);
  const out: Record<string, Record<string, unknown>> = {};
  for (const [name, spec] of Object.entries(sections)) {
    out[name] = {};
    for (const [k, ks] of Object.entries(spec.keys)) out[name][k] = ks.default;
  }
  const lineOf = (path: string): number | undefined => {
    for (let p = path; p !== ""; p = p.includes(".") ? p.slice(0, p.lastIndexOf(".")) : "") {
      const l = lines.get(p);
      if (l !== undefined) return l;
    }
    return undefined;
  };
  const at = (path: string) => {
    const l = lineOf(path);
    return l === undefined ? "" : ` (line ${l})`;
  };
  const problem = (key: string, message: string) => {
    const line = lineOf(key);
    problems.push({ message, key, ...(line !== undefined ? { line } : {}) });
  };
  const isSectionPrefix = (path: string) => names.some((n) => n.startsWith(`${path}.`));

  const unknownKey = (path: string, container: string) => {
    const known = [
      ...(sections[container] ? Object.keys(sections[container].keys) : []).map((k) =>
        container === "" ? k : `${container}.${k}`
      ),
      ...names.filter((n) => container === "" || n.startsWith(`${container}.`)),
    ];
    const guess = nearest(path, known);
    const knownHere = sections[container]
      ? `known keys of [${container}]: ${Object.keys(sections[container].keys).join(", ")}`
      : `sections under [${container}]: ${
        names.filter((n) => n.startsWith(`${container}.`)).map((n) => `[${n}]`).join(", ")
      }`;
    problem(
      path,
      `Unknown key "${path}"${at(path)}: ${
        guess ? `did you mean "${guess}"?` : `remove it or use one of the ${knownHere}`
      }`,
    );
  };

  const unknownSection = (path: string) => {
    const guess = nearest(path, names);
    problem(
      path,
      `Unknown section [${path}]${at(path)}: ${
        guess
          ? `did you mean [${guess}]?`
          : `remove it or use one of the known sections: ${names.map((n) => `[${n}]`).join(", ")}`
      }`,
    );
  };

  const visit = (table: Record<string, unknown>, path: string) => {
    const spec = sections[path];
    for (const [k, v] of Object.entries(table)) {
      const full = path === "" ? k : `${path}.${k}`;
      const keySpec = spec?.keys[k];
      if (keySpec) {
        if (keySpec.type === "records") {
          out[path]![k] = validateRecords(full, keySpec, v);
        } else {
          const r = checkValue(keySpec, v);
          if ("ok" in r) out[path]![k] = r.ok;
          else problem(full, `Cannot use "${full}" = ${showValue(v)}${at(full)}: ${r.why}`);
        }
      } else if (isTable(v) && (sections[full] || isSectionPrefix(full))) {
        visit(v, full);
      } else if (isTable(v) && !spec) {
        unknownSection(full);
      } else {
        unknownKey(full, path);
      }
    }
  };

  const validateRecords = (
    full: string,
    spec: Extract<KeySpec, { type: "records" }>,
    v: unknown,
  ): readonly RecordValue[] => {
    if (!Array.isArray(v) || !v.every(isTable)) {
      problem(
        full,
        `Cannot use "${full}" = ${showValue(v)}${at(full)}: expected ${expectation(spec)}`,
      );
      return spec.default;
    }
    return v.map((entry, i) => {
      const rec: Record<string, RecordValue[string]> = {};
      for (const [f, fs] of Object.entries(spec.fields)) {
        rec[f] = fs.default as RecordValue[string];
      }
      for (const [f, fv] of Object.entries(entry)) {
        const path = `${full}[${i}].${f}`;
        const fs = spec.fields[f];
        if (!fs) {
          const guess = nearest(f, Object.keys(spec.fields));
          problem(
            path,
            `Unknown key "${f}" in ${full} entry ${i + 1}${at(path)}: ${
              guess
                ? `did you mean "${guess}"?`
                : `known keys: ${Object.keys(spec.fields).join(", ")}`
            }`,
          );
          continue;
        }
        const r = checkValue(fs, fv);
        if ("ok" in r) rec[f] = r.ok as RecordValue[string];
        else problem(path, `Cannot use "${full}.${f}" = ${showValue(fv)}${at(path)}: ${r.why}`);
      }
      return rec;
    });
  };

  for (const [k, v] of Object.entries(doc)) {
    if (sections[k] || isSectionPrefix(k)) {
      if (isTable(v)) visit(v, k);
      else problem(k, `Cannot use "${k}" = ${showValue(v)}${at(k)}: expected a section [${k}]`);
    } else if (isTable(v)) {
      unknownSection(k);
    } else {
      const guess = nearest(k, names.flatMap((n) => Object.keys(sections[n]!.keys)));
      const owner = guess && names.find((n) => guess in sections[n]!.keys);
      problem(
        k,
        `Key "${k}"${at(k)} is outside any section: ${
          owner ? `did you mean "${guess}" under [${owner}]?` : "move it under its [section]"
        }`,
      );
    }
  }
  problems.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
  return { config: deepFreeze(out) as unknown as ConfigOf<S>, problems };
}
