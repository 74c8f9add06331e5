/**
 * Webhook notifications: an HTTP POST per notification, in one of four templates:
 * `json` (the EVE-style alert object), `slack` (`{"text": …}`, also Mattermost and Rocket.Chat),
 * `ntfy` (plain text body, `Title`/`Priority` headers) and `gotify` (`{"title","message",
 * "priority"}`). A non-2xx answer is a failure (and so is retried by the notifier).
 *
 * @module
 */

import type { Severity } from "../../detect/alert.ts";
import type { NotifyChannel, NotifyMessage } from "../notify.ts";
import { NotifyError } from "./_run.ts";

/** Body templates. */
export type WebhookTemplate = "json" | "slack" | "ntfy" | "gotify";

/** Template names, for the config. */
export const WEBHOOK_TEMPLATES: readonly WebhookTemplate[] = ["json", "slack", "ntfy", "gotify"];

/** Options of the webhook channel (`[notify.webhook]`). */
export interface WebhookOptions {
  readonly url: string;
  readonly template: WebhookTemplate;
  /** Extra headers, each "Name: value" (e.g. "Authorization: Bearer …"). */
  readonly headers: readonly string[];
  readonly timeoutMs: number;
}

/** One request, ready for `fetch`. */
export interface WebhookRequest {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Slack's mrkdwn reads these three characters; everything else is literal. */
export function escapeSlack(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * A header value safe for `fetch` (Latin-1 only): plain ASCII as is, anything else as an
 * RFC 2047 encoded word (ntfy decodes those).
 */
export function headerValue(s: string): string {
  if (/^[\x20-\x7e]*$/.test(s)) return s;
  const bytes = new TextEncoder().encode(s);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return `=?UTF-8?B?${btoa(bin)}?=`;
}

/** ntfy priority (5 max … 1 min) per severity. */
const NTFY_PRIORITY: Record<Severity, string> = { 1: "5", 2: "4", 3: "3" };
/** Gotify priority (0–10; 8 and up sound on Android) per severity. */
const GOTIFY_PRIORITY: Record<Severity, number> = { 1: 8, 2: 5, 3: 2 };

/** Parses "Name: value" header lines. @throws {NotifyError} on a line without a name. */
export function parseHeaders(lines: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(":");
    const name = i > 0 ? line.slice(0, i).trim() : "";
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      throw new NotifyError(
        `Cannot use notify.webhook.headers entry ${JSON.stringify(line)}: expected "Name: value"`,
      );
    }
    out[name] = line.slice(i + 1).trim();
  }
  return out;
}

/** The request for one message (pure). */
export function webhookRequest(o: WebhookOptions, m: NotifyMessage): WebhookRequest {
  const extra = parseHeaders(o.headers);
  const detail = m.body.split("\n").slice(1).join("\n");
  switch (o.template) {
    case "slack":
      return {
        url: o.url,
        headers: { "Content-Type": "application/json", ...extra },
        body: JSON.stringify({ text: escapeSlack(`pcap_ts ${m.title}\n${detail}`) }),
      };
    case "ntfy":
      return {
        url: o.url,
        headers: {
          "Content-Type": "text/plain; charset=utf-8",
          Title: headerValue(`pcap_ts ${m.title}`),
          Priority: NTFY_PRIORITY[m.severity],
          Tags: m.kind === "ban" ? "no_entry" : "warning",
          ...extra,
        },
        body: detail === "" ? m.title : detail,
      };
    case "gotify":
      return {
        url: o.url,
        headers: { "Content-Type": "application/json", ...extra },
        body: JSON.stringify({
          title: `pcap_ts ${m.title}`,
          message: detail === "" ? m.title : detail,
          priority: GOTIFY_PRIORITY[m.severity],
        }),
      };
    case "json":
      return {
        url: o.url,
        headers: { "Content-Type": "application/json", ...extra },
        body: JSON.stringify(m.json),
      };
  }
}

/** The webhook channel. */
export class WebhookChannel implements NotifyChannel {
  readonly name = "webhook";

  constructor(readonly options: WebhookOptions) {
    parseHeaders(options.headers); // Fail at start, not at the first alert.
    if (!/^https?:\/\//.test(options.url)) {
      throw new NotifyError(
        `Cannot use notify.webhook.url = ${
          JSON.stringify(options.url)
        }: expected http:// or https://`,
      );
    }
  }

  async send(m: NotifyMessage): Promise<void> {
    const req = webhookRequest(this.options, m);
    let res: Response;
    try {
      res = await fetch(req.url, {
        method: "POST",
        headers: req.headers,
        body: req.body,
        redirect: "error",
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (e) {
      // No `cause`: fetch's own message names the full URL, and tokens often live in it.
      const why = (e instanceof Error ? `${e.name}: ${e.message}` : String(e))
        .replaceAll(req.url, safeUrl(req.url));
      throw new NotifyError(`POST ${safeUrl(req.url)}: ${scrubUrls(why)}`);
    }
    const text = await res.text().catch(() => "");
    if (!res.ok) {
      throw new NotifyError(
        `POST ${safeUrl(req.url)} answered HTTP ${res.status}${
          text === "" ? "" : `: ${text.replace(/\s+/g, " ").slice(0, 200)}`
        }`,
      );
    }
  }
}

/** Every URL in `text` without its credentials, query and fragment. */
export function scrubUrls(text: string): string {
  return text.replace(/https?:\/\/[^\s)"'<>]+/g, (u) => safeUrl(u));
}

/** The URL without credentials or query (tokens often live there), for error messages. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return "(invalid URL)";
  }
}
