/**
 * The registry of every config section. To add a section, import its `SectionSpec` and add one
 * line to {@link SECTIONS}: validation, the default config and the `Config` type follow.
 *
 * @module
 */

import { captureSection, outputSection } from "./capture.ts";
import type { ConfigOf } from "./validate.ts";

/** Every section of the pcap_ts config, in the order the default config prints them. */
export const SECTIONS = {
  capture: captureSection,
  output: outputSection,
  // Add sections here, one line each, e.g. `flow: flowSection,` or `"notify.email": emailSection,`.
} as const;

/** The validated, deep-frozen pcap_ts config. */
export type Config = ConfigOf<typeof SECTIONS>;
