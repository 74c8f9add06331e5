/**
 * One readable line per alert on the console: time, severity (coloured), detector, signature,
 * source → destination, and the key evidence. Packet-derived text is sanitised.
 *
 * @module
 */

import type { Alert, Evidence, Severity } from "../detect/alert.ts";
import { sanitizeText } from "./sanitize.ts";

/**
 * Makes untrusted (packet-derived) text safe for a terminal: strips escape sequences and
 * control characters, turns line breaks into spaces, caps the length at `max` characters.
 * (Implemented in `actions/sanitize.ts`, shared with the notifiers.)
 */
export { sanitizeText };

/** The colour setting of `[output] color`. */
export type ColorSetting = "auto" | "always" | "never";

/**
 * Whether to colour: "never" and "always" decide; "auto" colours only a terminal, and not
 * when `NO_COLOR` is set to a non-empty value (https://no-color.org).
 */
export function useColor(setting: ColorSetting, isTerminal: boolean, noColorEnv?: string): boolean {
  if (setting === "never") return false;
  if (setting === "always") return true;
  return isTerminal && (noColorEnv === undefined || noColorEnv === "");
}

const RESET = "\x1b[0m";
const BOLD = "\x1b[1m";
const DIM = "\x1b[2m";
const SEVERITY_STYLE: Readonly<Record<Severity, { label: string; color: string }>> = {
  1: { label: "HIGH", color: "\x1b[1;31m" },
  2: { label: "MEDIUM", color: "\x1b[33m" },
  3: { label: "LOW", color: "\x1b[36m" },
};

/** Longest signature shown. */
const MAX_SIGNATURE = 200;
/** Longest evidence part of a line. */
const MAX_EVIDENCE = 200;
/** Items of an evidence list shown before "…". */
const MAX_LIST_ITEMS = 8;
/** Evidence entries shown. */
const MAX_EVIDENCE_KEYS = 6;

function showEvidence(v: Evidence): string {
  if (Array.isArray(v)) {
    const shown = v.slice(0, MAX_LIST_ITEMS).map(showEvidence).join(",");
    return v.length > MAX_LIST_ITEMS ? `${shown},…(${v.length})` : shown;
  }
  if (v !== null && typeof v === "object") return JSON.stringify(v);
  return String(v);
}

function endpoint(ip: string, port: number | null): string {
  const host = sanitizeText(ip, 64);
  if (port === null) return host;
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

function clock(ts: number): string {
  const d = new Date(Math.floor(ts) * 1000);
  return d.toISOString().replace(".000Z", "Z");
}

/**
 * Formats one alert as one console line, with ANSI colours when `color` is true.
 *
 * @example
 * ```ts
 * import { formatAlertLine } from "./console.ts";
 * const line = formatAlertLine({
 *   ts: 0, detector: "scan.port", category: "scan", severity: 2, signatureId: 1000101,
 *   signature: "TCP port scan", srcIp: "10.0.0.2", srcPort: 4000, destIp: "10.0.0.1",
 *   destPort: 22, proto: "TCP", direction: "inbound", offender: "10.0.0.2",
 *   spoofable: false, evidence: { probes: 25 }, process: null,
 * }, false);
 * console.assert(line.includes("MEDIUM scan.port TCP port scan 10.0.0.2:4000 → 10.0.0.1:22"));
 * ```
 */
export function formatAlertLine(alert: Alert, color: boolean): string {
  const sev = SEVERITY_STYLE[alert.severity] ?? { label: String(alert.severity), color: "" };
  const paint = (
    style: string,
    text: string,
  ) => (color && style ? `${style}${text}${RESET}` : text);
  const evidence = Object.entries(alert.evidence)
    .slice(0, MAX_EVIDENCE_KEYS)
    .map(([k, v]) => `${k}=${showEvidence(v)}`)
    .join(" ");
  const parts = [
    paint(DIM, clock(alert.ts)),
    paint(sev.color, sev.label),
    paint(BOLD, sanitizeText(alert.detector, 40)),
    sanitizeText(alert.signature, MAX_SIGNATURE),
    `${endpoint(alert.srcIp, alert.srcPort)} → ${endpoint(alert.destIp, alert.destPort)}`,
    sanitizeText(alert.proto, 16),
  ];
  if (alert.process) {
    parts.push(`process=${sanitizeText(alert.process.name, 40)}[${alert.process.pid}]`);
  }
  if (evidence !== "") parts.push(paint(DIM, sanitizeText(evidence, MAX_EVIDENCE)));
  return parts.join(" ");
}

/** Where console lines go: by default standard error, so stdout stays free for --dump/--eve -. */
export interface ConsoleOutput {
  writeSync(p: Uint8Array): number;
  isTerminal(): boolean;
}

/** Prints alerts as console lines. */
export class ConsoleReporter {
  readonly color: boolean;
  #out: ConsoleOutput;
  #encoder = new TextEncoder();

  constructor(setting: ColorSetting, out: ConsoleOutput = Deno.stderr) {
    this.#out = out;
    let noColor: string | undefined;
    try {
      noColor = Deno.env.get("NO_COLOR");
    } catch {
      noColor = undefined; // no --allow-env: treat as unset
    }
    this.color = useColor(setting, out.isTerminal(), noColor);
  }

  /** Prints one alert. */
  alert(alert: Alert): void {
    const bytes = this.#encoder.encode(formatAlertLine(alert, this.color) + "\n");
    for (let off = 0; off < bytes.length;) off += this.#out.writeSync(bytes.subarray(off));
  }
}
