/**
 * What a notification says: pure functions that turn alerts, ban events, held-back digests
 * and suppression summaries into a {@link NotifyMessage}. All text that came from packets is
 * sanitised here, once, so no channel ever sees raw packet bytes.
 *
 * @module
 */

import type { Alert, Evidence, Severity } from "../detect/alert.ts";
import {
  type BanEvent as EveBanEvent,
  banEventToEve,
  eveTimestamp,
  suppressionToEve,
} from "./eve.ts";
import { sanitizeText } from "./sanitize.ts";
import type { SuppressionSummary } from "./suppress.ts";

/** Longest signature or title shown. */
export const MAX_TITLE = 160;
/** Longest single evidence value shown. */
export const MAX_VALUE = 200;
/** Longest evidence section of a body. */
export const MAX_EVIDENCE = 1000;

/** One notification, ready for every channel. */
export interface NotifyMessage {
  readonly kind: "alert" | "ban" | "digest" | "summary";
  readonly severity: Severity;
  /** Capture (or wall) time the message is about, seconds since the epoch. */
  readonly ts: number;
  /** Short title: "HIGH: TCP port scan of 10.200.0.1 by 10.200.0.2". Sanitised. */
  readonly title: string;
  /** Several lines of detail. Sanitised (each line). */
  readonly body: string;
  /** The whole thing on one line (syslog, chat). Sanitised. */
  readonly line: string;
  /** JSON form (EVE-style for alerts and bans), with sanitised strings. */
  readonly json: Record<string, unknown>;
  /** A few key facts as name/value strings (syslog structured data). Sanitised. */
  readonly fields: Readonly<Record<string, string>>;
}

/** A ban event as notifications receive it: the EVE ban event, with the alert's severity. */
export interface BanEvent extends Readonly<EveBanEvent> {
  /** Severity of the alert that caused the ban; 2 when unknown. */
  readonly severity?: Severity;
}

/** "HIGH", "MEDIUM", "LOW". */
export function severityName(s: Severity): string {
  return s === 1 ? "HIGH" : s === 2 ? "MEDIUM" : "LOW";
}

/** ISO 8601 UTC with milliseconds; "invalid time" for a non-finite input. */
export function isoTime(tsS: number): string {
  return Number.isFinite(tsS) ? new Date(tsS * 1000).toISOString() : "invalid time";
}

/** "90s", "10m", "2h", "7d": the largest whole unit. */
export function formatDuration(s: number): string {
  if (s % 86400 === 0 && s > 0) return `${s / 86400}d`;
  if (s % 3600 === 0 && s > 0) return `${s / 3600}h`;
  if (s % 60 === 0 && s > 0) return `${s / 60}m`;
  return `${s}s`;
}

const clean = (s: string, max = MAX_VALUE): string => sanitizeText(s, max);

/** Evidence as `key=value` pairs, values as compact JSON, everything sanitised and capped. */
export function formatEvidence(evidence: { readonly [key: string]: Evidence }): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(evidence)) {
    const value = typeof v === "string" ? v : JSON.stringify(v) ?? "null";
    parts.push(`${clean(k, 40)}=${clean(value)}`);
  }
  return sanitizeText(parts.join(" "), MAX_EVIDENCE);
}

/** Sanitises every string (keys too) of a JSON value; caps each string at {@link MAX_VALUE}. */
export function sanitizeJson(v: unknown, max = MAX_VALUE): unknown {
  if (typeof v === "string") return sanitizeText(v, max);
  if (Array.isArray(v)) return v.map((x) => sanitizeJson(x, max));
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[sanitizeText(k, 60)] = sanitizeJson(x, max);
    return out;
  }
  return v;
}

/** Turns an alert into a notification; `suppressed` repeats were held back before it. */
export function formatAlert(
  alert: Alert,
  suppressed: number,
  eve: Record<string, unknown>,
): NotifyMessage {
  const sev = severityName(alert.severity);
  const signature = clean(alert.signature, MAX_TITLE);
  const detector = clean(alert.detector, 60);
  const title = clean(`${sev}: ${signature}`, MAX_TITLE);
  const port = (p: number | null) => (p === null ? "" : `:${p}`);
  const flow = `${clean(alert.proto, 20)} ${clean(alert.srcIp, 64)}${port(alert.srcPort)} -> ${
    clean(alert.destIp, 64)
  }${port(alert.destPort)}`;
  const lines = [
    signature,
    `Severity: ${alert.severity} (${sev.toLowerCase()})  Category: ${alert.category}  Detector: ${detector}  Signature id: ${alert.signatureId}`,
    `Time: ${isoTime(alert.ts)}`,
    `Offender: ${clean(alert.offender, 64)}  Direction: ${alert.direction}${
      alert.spoofable ? "  (evidence could be spoofed)" : ""
    }`,
    `Flow: ${flow}`,
  ];
  if (alert.process !== null) {
    const p = alert.process;
    lines.push(
      `Process: ${clean(p.name, 64)} (pid ${p.pid}${p.uid === null ? "" : `, uid ${p.uid}`}) ${
        clean(p.cmdline)
      }`,
    );
  }
  if (suppressed > 0) lines.push(`Repeats held back since the last notice: ${suppressed}`);
  const evidence = formatEvidence(alert.evidence);
  if (evidence !== "") lines.push(`Evidence: ${evidence}`);
  const line = `${sev} ${detector} sid=${alert.signatureId}: ${signature} (${flow}, offender ${
    clean(alert.offender, 64)
  }${suppressed > 0 ? `, ${suppressed} repeats held back` : ""})`;
  const json = sanitizeJson(
    suppressed > 0 ? { ...eve, pcap_ts_suppressed: suppressed } : eve,
  ) as Record<string, unknown>;
  const fields: Record<string, string> = {
    detector,
    sid: String(alert.signatureId),
    category: alert.category,
    severity: String(alert.severity),
    src: clean(alert.srcIp, 64),
    dst: clean(alert.destIp, 64),
    offender: clean(alert.offender, 64),
  };
  if (suppressed > 0) fields["suppressed"] = String(suppressed);
  return {
    fields,
    kind: "alert",
    severity: alert.severity,
    ts: alert.ts,
    title,
    body: lines.join("\n"),
    line,
    json,
  };
}

/** Turns a ban event into a short notification. */
export function formatBan(ev: BanEvent): NotifyMessage {
  const ip = clean(ev.ip, 64);
  const reason = clean(ev.reason, MAX_TITLE);
  const what = ev.action === "add"
    ? `Banned ${ip}${ev.durationS === null ? "" : ` for ${formatDuration(ev.durationS)}`}`
    : `Unbanned ${ip}`;
  const title = clean(reason === "" ? what : `${what}: ${reason}`, MAX_TITLE);
  return {
    kind: "ban",
    severity: ev.severity ?? 2,
    ts: ev.ts,
    title,
    body: `${title}\nTime: ${isoTime(ev.ts)}`,
    line: title,
    json: banEventToEve({ ts: ev.ts, ip, action: ev.action, durationS: ev.durationS, reason }),
    fields: { ip, action: ev.action, duration_s: String(ev.durationS ?? 0) },
  };
}

/** What a rate limit held back: counts per severity and the first few titles. */
export interface HeldBack {
  count: number;
  bySeverity: [number, number, number];
  titles: string[];
  firstTs: number;
  lastTs: number;
}

/** Titles kept for a digest; the rest are counted. */
export const DIGEST_TITLES = 10;

/** An empty {@link HeldBack}. */
export function emptyHeldBack(): HeldBack {
  return { count: 0, bySeverity: [0, 0, 0], titles: [], firstTs: 0, lastTs: 0 };
}

/** Adds one message to a {@link HeldBack}. */
export function holdBack(h: HeldBack, m: NotifyMessage): void {
  if (h.count === 0) h.firstTs = m.ts;
  h.count++;
  h.bySeverity[m.severity - 1]!++;
  h.lastTs = m.ts;
  if (h.titles.length < DIGEST_TITLES) h.titles.push(m.title);
}

/** The digest sent when a rate limit window reopens. `where` names the limit. */
export function formatDigest(h: HeldBack, where: string): NotifyMessage {
  const severity: Severity = h.bySeverity[0] > 0 ? 1 : h.bySeverity[1] > 0 ? 2 : 3;
  const counts = `${h.bySeverity[0]} high, ${h.bySeverity[1]} medium, ${h.bySeverity[2]} low`;
  const title = `${
    severityName(severity)
  }: ${h.count} notifications held back by the ${where} rate limit`;
  const more = h.count - h.titles.length;
  const lines = [
    title,
    `Severities: ${counts}`,
    `From ${isoTime(h.firstTs)} to ${isoTime(h.lastTs)}`,
    ...h.titles.map((t) => `- ${t}`),
    ...(more > 0 ? [`- and ${more} more`] : []),
  ];
  return {
    kind: "digest",
    severity,
    ts: h.lastTs,
    title,
    body: lines.join("\n"),
    line: `${title} (${counts}); first: ${h.titles.slice(0, 3).join("; ")}`,
    json: {
      timestamp: eveTimestamp(h.lastTs),
      event_type: "notify_digest",
      digest: {
        count: h.count,
        high: h.bySeverity[0],
        medium: h.bySeverity[1],
        low: h.bySeverity[2],
        limit: where,
        titles: h.titles,
      },
    },
    fields: { count: String(h.count), limit: where },
  };
}

/** A suppression summary: repeats of one alert that no later alert reported. */
export function formatSuppression(s: SuppressionSummary): NotifyMessage {
  const signature = clean(s.signature, MAX_TITLE);
  const title = clean(
    `${severityName(s.severity)}: ${s.count} more of "${signature}" held back`,
    MAX_TITLE,
  );
  const detail = `Detector: ${clean(s.detector, 60)}  Offender: ${clean(s.offender, 64)}  Target: ${
    clean(s.target, 64)
  }`;
  return {
    kind: "summary",
    severity: s.severity,
    ts: s.lastTs,
    title,
    body: `${title}\n${detail}\nFrom ${isoTime(s.firstTs)} to ${isoTime(s.lastTs)}`,
    line: `${title} (${detail})`,
    json: sanitizeJson(suppressionToEve(s)) as Record<string, unknown>,
    fields: {
      detector: clean(s.detector, 60),
      offender: clean(s.offender, 64),
      target: clean(s.target, 64),
      count: String(s.count),
    },
  };
}
