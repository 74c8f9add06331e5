/**
 * How a configuration key is declared. Modules that own settings (detectors, flow table,
 * actions) declare their keys with these specs; `config/` validates the TOML file against
 * them and prints the commented default config from them.
 *
 * @module
 */

interface KeyBase {
  /** One or more sentences: meaning, allowed values, and the trade-off of raising/lowering it. */
  doc: string;
}

/** A declared configuration key. */
export type KeySpec =
  | (KeyBase & { type: "boolean"; default: boolean })
  | (KeyBase & { type: "integer"; default: number; min?: number; max?: number })
  | (KeyBase & { type: "number"; default: number; min?: number; max?: number })
  | (KeyBase & { type: "string"; default: string; choices?: readonly string[] })
  /** Written in TOML as "90s", "10m", "1h", "7d" (or a number of seconds); held in seconds. */
  | (KeyBase & { type: "duration"; default: number; min?: number; max?: number })
  /** A list of IPv4/IPv6 addresses or CIDR blocks, validated. */
  | (KeyBase & { type: "cidrs"; default: readonly string[] })
  | (KeyBase & { type: "strings"; default: readonly string[] })
  /**
   * An array of tables (`[[section.key]]` in TOML), each validated against `fields`.
   * Fields without a default in an entry take the field spec's default.
   */
  | (KeyBase & {
    type: "records";
    fields: Readonly<Record<string, KeySpec>>;
    default: readonly RecordValue[];
  });

/** One validated entry of a `records` key. */
export type RecordValue = {
  readonly [field: string]: boolean | number | string | readonly string[];
};

/** A config section: `[name]` in TOML, with a comment and its keys. */
export interface SectionSpec {
  doc: string;
  keys: Readonly<Record<string, KeySpec>>;
}

/** The value type a key spec yields after validation. */
export type ValueOf<K extends KeySpec> = K["default"] extends boolean ? boolean
  : K["default"] extends number ? number
  : K["default"] extends string ? string
  : K["default"] extends readonly RecordValue[] ? readonly RecordValue[]
  : readonly string[];

/** The validated values of a section declared with {@link SectionSpec}. */
export type SectionValues<S extends SectionSpec> = {
  readonly [K in keyof S["keys"]]: ValueOf<S["keys"][K]>;
};

/** The defaults of a section, as its validated values. */
export function sectionDefaults<S extends SectionSpec>(spec: S): SectionValues<S> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(spec.keys)) out[k] = v.default;
  return Object.freeze(out) as SectionValues<S>;
}
