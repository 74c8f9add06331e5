/**
 * The pcap_ts config: TOML file → frozen, typed, validated values, and the commented default
 * config printed by `pcap_ts config default`.
 *
 * @module
 */

export type { KeySpec, RecordValue, SectionSpec, SectionValues } from "./spec.ts";
export { sectionDefaults } from "./spec.ts";
export { type Config, SECTIONS } from "./schema.ts";
export { captureSection, outputSection } from "./capture.ts";
export { ConfigError, type ConfigProblem } from "./error.ts";
export { defaultConfig, loadConfig, parseConfig, parseConfigWith } from "./load.ts";
export { type ConfigOf, type Sections, validateDocument } from "./validate.ts";
export { renderDefaultConfig } from "./render.ts";
export { formatDuration, parseDuration } from "./duration.ts";
export { type Cidr, parseCidr } from "./cidr.ts";
