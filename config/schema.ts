/**
 * The registry of every config section. To add a section, import its `SectionSpec` and add one
 * line to {@link SECTIONS}: validation, the default config and the `Config` type follow.
 *
 * @module
 */

import { captureSection, outputSection } from "./capture.ts";
import type { SectionSpec } from "./spec.ts";
import type { ConfigOf } from "./validate.ts";
import { flowSection } from "../flow/config.ts";
import { defragSection } from "../flow/defrag_config.ts";
import { scanSections } from "../detect/config.ts";
import { BAN_RESPONSE_KEYS } from "../actions/ban_config.ts";
import { RESPONSE_RULE_KEY, SUPPRESS_SECTION } from "../actions/policy_config.ts";
import {
  desktopSection,
  emailSection,
  notifySection,
  syslogSection,
  webhookSection,
} from "../actions/notify_config.ts";

/** `[response]`: the ban settings and the ordered `[[response.rule]]` list. */
const responseSection = {
  doc: "How pcap_ts responds to alerts: which alerts are logged, notified and banned " +
    "([[response.rule]]), and how bans are made in the host firewall.",
  keys: { ...BAN_RESPONSE_KEYS, rule: RESPONSE_RULE_KEY },
} as const satisfies SectionSpec;

/** Every section of the pcap_ts config, in the order the default config prints them. */
export const SECTIONS = {
  capture: captureSection,
  output: outputSection,
  flow: flowSection,
  defrag: defragSection,
  ...(scanSections as Readonly<Record<`scan.${string}`, SectionSpec>>),
  response: responseSection,
  "response.suppress": SUPPRESS_SECTION,
  notify: notifySection,
  "notify.desktop": desktopSection,
  "notify.email": emailSection,
  "notify.webhook": webhookSection,
  "notify.syslog": syslogSection,
} as const;

/** The validated, deep-frozen pcap_ts config. */
export type Config = ConfigOf<typeof SECTIONS>;
