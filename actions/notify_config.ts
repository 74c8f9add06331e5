/**
 * Config declarations of the notifications (`[notify]`, `[notify.desktop]`, `[notify.email]`,
 * `[notify.webhook]`, `[notify.syslog]`) and {@link notifierFromConfig}, which builds the
 * {@link Notifier} from their validated values.
 *
 * For the integrator: add to `config/schema.ts` SECTIONS
 * `notify: notifySection, "notify.desktop": desktopSection, "notify.email": emailSection,
 * "notify.webhook": webhookSection, "notify.syslog": syslogSection` (and, from
 * `policy_config.ts`, `rule: RESPONSE_RULE_KEY` in `[response]` and
 * `"response.suppress": SUPPRESS_SECTION`).
 *
 * @module
 */

import type { SectionSpec, SectionValues } from "../config/spec.ts";
import type { Alert, Severity } from "../detect/alert.ts";
import { type ChannelPolicy, Notifier, type NotifyChannel, type NotifyLog } from "./notify.ts";
import { DesktopChannel } from "./notifiers/desktop.ts";
import { EmailChannel } from "./notifiers/email.ts";
import { FACILITIES, SyslogChannel } from "./notifiers/syslog.ts";
import { WEBHOOK_TEMPLATES, WebhookChannel } from "./notifiers/webhook.ts";
import { NotifyError } from "./notifiers/_run.ts";

const minSeverity = (dflt: Severity, what: string) => ({
  type: "integer" as const,
  default: dflt,
  min: 1,
  max: 3,
  doc:
    `Least severe alert sent ${what}: 1 high only, 2 high and medium, 3 all (default ${dflt}). ` +
    "Lower numbers mean fewer, more urgent messages.",
});

const rateLimit = (dflt: number, what: string) => ({
  type: "integer" as const,
  default: dflt,
  min: 0,
  max: 100000,
  doc: `Most messages per minute ${what} (default ${dflt}; 0 = no limit), as a token bucket ` +
    "with a burst of the same size. What the limit holds back is sent as one digest when the " +
    "bucket refills. Higher limits show every alert of a flood; lower ones protect the receiver.",
});

/** `[notify]`: settings shared by all channels. */
export const notifySection = {
  doc: "Notifications: alerts that the response rules mark 'notify', and bans, are sent to the " +
    "channels below. Nothing here ever slows packet processing: messages wait in bounded " +
    "queues, and a failing channel is logged, not fatal.",
  keys: {
    rate_limit: {
      type: "integer",
      default: 30,
      min: 0,
      max: 100000,
      doc: "Most messages per minute over all channels together (default 30; 0 = no limit), " +
        "before each channel's own limit. What it holds back is sent as one digest when the " +
        "bucket refills.",
    },
    queue_length: {
      type: "integer",
      default: 100,
      min: 1,
      max: 100000,
      doc: "Most messages waiting per channel (default 100). When a channel is slow or down, " +
        "more are dropped and counted. Longer queues lose less during an outage but deliver " +
        "stale news afterwards.",
    },
    bans: {
      type: "string",
      default: "add",
      choices: ["add", "all", "none"],
      doc: 'Which ban events to send as a short line: "add" (default, new bans), "all" (also ' +
        'unbans and expiries), "none".',
    },
    retries: {
      type: "integer",
      default: 3,
      min: 0,
      max: 10,
      doc: "Retries of a failed email or webhook delivery (default 3), waiting retry_delay, " +
        "then 5 times longer each time (1s, 5s, 25s). More retries ride out longer outages " +
        "but hold the channel's queue meanwhile.",
    },
    retry_delay: {
      type: "duration",
      default: 1,
      min: 0,
      max: 3600,
      doc: 'Wait before the first retry (default "1s"); each next wait is 5 times longer.',
    },
  },
} as const satisfies SectionSpec;

/** `[notify.desktop]`: notify-send into the logged-in user's desktop session. */
export const desktopSection = {
  doc: "Desktop notifications through notify-send. Running as root, pcap_ts finds the active " +
    "user's session bus (loginctl, else /run/user/UID/bus) and runs notify-send as that user; " +
    "otherwise it uses its own DBUS_SESSION_BUS_ADDRESS. A server without a desktop logs one " +
    "failure and carries on; set enabled = false there.",
  keys: {
    enabled: {
      type: "boolean",
      default: true,
      doc: "Send desktop notifications (default true).",
    },
    min_severity: minSeverity(2, "to the desktop"),
    rate_limit: rateLimit(10, "to the desktop"),
    app_name: {
      type: "string",
      default: "pcap_ts",
      doc: 'Application name shown by the notification server (default "pcap_ts").',
    },
    urgency_high: {
      type: "string",
      default: "critical",
      choices: ["low", "normal", "critical"],
      doc: 'Urgency of high severity alerts (default "critical": most servers keep those on ' +
        "screen until dismissed).",
    },
    urgency_medium: {
      type: "string",
      default: "normal",
      choices: ["low", "normal", "critical"],
      doc: 'Urgency of medium severity alerts (default "normal").',
    },
    urgency_low: {
      type: "string",
      default: "low",
      choices: ["low", "normal", "critical"],
      doc: 'Urgency of low severity alerts (default "low").',
    },
    expire: {
      type: "duration",
      default: 0,
      min: 0,
      max: 86400,
      doc: 'How long a notification stays on screen ("10s"); 0 (default) lets the server decide.',
    },
    bus_address: {
      type: "string",
      default: "",
      doc: 'D-Bus address to send to, as is ("unix:path=/run/user/1000/bus"), run as pcap_ts\'s ' +
        "own user. Empty (default) finds the logged-in user's session.",
    },
    user: {
      type: "string",
      default: "",
      doc: "When running as root: the user (name or uid) whose desktop gets the notifications. " +
        "Empty (default) picks the active session (loginctl), else the first human user with a " +
        "session bus in /run/user.",
    },
    timeout: {
      type: "duration",
      default: 10,
      min: 1,
      max: 300,
      doc: 'Longest a notify-send run may take before it is stopped (default "10s").',
    },
  },
} as const satisfies SectionSpec;

/** `[notify.email]`: SMTP. */
export const emailSection = {
  doc: "Email notifications over SMTP, one message per notification, subject naming the " +
    "severity and the signature.",
  keys: {
    enabled: {
      type: "boolean",
      default: false,
      doc: "Send email (default false; needs host and to).",
    },
    min_severity: minSeverity(1, "by email"),
    rate_limit: rateLimit(6, "by email"),
    host: { type: "string", default: "localhost", doc: 'SMTP server (default "localhost").' },
    port: {
      type: "integer",
      default: 25,
      min: 1,
      max: 65535,
      doc: "SMTP port (default 25; 587 for submission with STARTTLS, 465 with implicit_tls).",
    },
    starttls: {
      type: "string",
      default: "auto",
      choices: ["auto", "always", "never"],
      doc: '"auto" (default) upgrades to TLS when the server offers STARTTLS; "always" refuses ' +
        'to send without it (use it whenever a password is sent); "never" sends in clear text.',
    },
    implicit_tls: {
      type: "boolean",
      default: false,
      doc: "TLS from the first byte (SMTPS, port 465) instead of STARTTLS (default false).",
    },
    username: {
      type: "string",
      default: "",
      doc: "SMTP login name; empty (default) sends without authentication.",
    },
    password: {
      type: "string",
      default: "",
      doc: "SMTP password. Prefer password_file, which keeps the secret out of this file.",
    },
    password_file: {
      type: "string",
      default: "",
      doc: "File holding the SMTP password (read at start, surrounding whitespace removed); " +
        "overrides password. Keep it readable by root only.",
    },
    from: {
      type: "string",
      default: "pcap_ts@localhost",
      doc: 'Sender address (default "pcap_ts@localhost").',
    },
    to: {
      type: "strings",
      // Typed so that ValueOf reads it as a string list (an empty tuple would match records).
      default: [] as readonly string[],
      doc: 'Recipient addresses, such as ["admin@example.org"] (default none).',
    },
    subject_prefix: {
      type: "string",
      default: "[pcap_ts]",
      doc: 'Text before each subject (default "[pcap_ts]"), for mail filters.',
    },
    timeout: {
      type: "duration",
      default: 30,
      min: 1,
      max: 600,
      doc: 'Longest wait for the server at each step (default "30s").',
    },
  },
} as const satisfies SectionSpec;

/** `[notify.webhook]`: HTTP POST. */
export const webhookSection = {
  doc: "Webhook notifications: an HTTP POST of each notification.",
  keys: {
    url: {
      type: "string",
      default: "",
      doc:
        'URL that receives a POST of each alert as JSON, such as "http://127.0.0.1:9000/hook". ' +
        "Empty (default) turns the webhook off.",
    },
    enabled: {
      type: "boolean",
      default: true,
      doc: "Send to url when it is set (default true); false keeps the url but sends nothing.",
    },
    min_severity: minSeverity(2, "to the webhook"),
    rate_limit: rateLimit(30, "to the webhook"),
    template: {
      type: "string",
      default: "json",
      choices: WEBHOOK_TEMPLATES,
      doc: 'Body format: "json" (default, the EVE-style alert object), "slack" ({"text": ...}, ' +
        'also Mattermost and Rocket.Chat), "ntfy" (plain text with Title and Priority headers), ' +
        '"gotify" ({"title", "message", "priority"}).',
    },
    headers: {
      type: "strings",
      // Typed so that ValueOf reads it as a string list (an empty tuple would match records).
      default: [] as readonly string[],
      doc: 'Extra request headers, each "Name: value", such as ["Authorization: Bearer TOKEN"] ' +
        "(default none).",
    },
    timeout: {
      type: "duration",
      default: 10,
      min: 1,
      max: 300,
      doc: 'Longest wait for an answer (default "10s"); a timeout counts as a failed try.',
    },
  },
} as const satisfies SectionSpec;

/** `[notify.syslog]`: RFC 5424 to the local daemon or a collector. */
export const syslogSection = {
  doc: "Syslog notifications in RFC 5424 form, to the local syslog socket or to a remote " +
    "collector.",
  keys: {
    enabled: {
      type: "boolean",
      default: false,
      doc: "Send to syslog (default false: the EVE log already records every alert).",
    },
    min_severity: minSeverity(3, "to syslog"),
    rate_limit: rateLimit(120, "to syslog"),
    transport: {
      type: "string",
      default: "unix",
      choices: ["unix", "udp", "tcp"],
      doc: '"unix" (default): the local daemon\'s socket; "udp" (RFC 5426) or "tcp" (RFC 6587, ' +
        "octet counting) to host and port. UDP loses messages silently when the collector is " +
        "down; TCP reports it.",
    },
    socket: {
      type: "string",
      default: "/dev/log",
      doc: 'Unix socket of the local syslog daemon (default "/dev/log").',
    },
    host: {
      type: "string",
      default: "127.0.0.1",
      doc: 'Collector address for udp and tcp (default "127.0.0.1").',
    },
    port: {
      type: "integer",
      default: 514,
      min: 1,
      max: 65535,
      doc: "Collector port for udp and tcp (default 514).",
    },
    facility: {
      type: "string",
      default: "daemon",
      choices: Object.keys(FACILITIES),
      doc: 'Syslog facility (default "daemon"; "auth" or "local0".."local7" to route security ' +
        "messages apart).",
    },
    app_name: {
      type: "string",
      default: "pcap_ts",
      doc: 'APP-NAME field of each line (default "pcap_ts").',
    },
    timeout: {
      type: "duration",
      default: 5,
      min: 1,
      max: 60,
      doc: 'Longest a send may take (default "5s").',
    },
  },
} as const satisfies SectionSpec;

/** The validated values of all notification sections. */
export interface NotifyConfig {
  readonly notify: SectionValues<typeof notifySection>;
  readonly desktop: SectionValues<typeof desktopSection>;
  readonly email: SectionValues<typeof emailSection>;
  readonly webhook: SectionValues<typeof webhookSection>;
  readonly syslog: SectionValues<typeof syslogSection>;
}

/** Run-time options that are not in the config file. */
export interface NotifierRuntime {
  readonly dryRun?: boolean;
  readonly log?: NotifyLog;
  /** EVE form of an alert for the json webhook; default `alertToEve` from `actions/eve.ts`. */
  readonly toEve?: (alert: Alert) => Record<string, unknown>;
  /** Period of the notifier's own digest timer (ms, default 1000; 0: the caller ticks). */
  readonly tickMs?: number;
  /** Wall clock (ms) for the rate limits. */
  readonly now?: () => number;
  /** Reads password_file (tests replace it). */
  readonly readTextFile?: (path: string) => string;
}

/** Retry waits: `retries` waits starting at `firstS`, each 5 times the previous. */
export function retryDelaysMs(retries: number, firstS: number): number[] {
  const out: number[] = [];
  for (let i = 0, d = firstS * 1000; i < retries; i++, d *= 5) out.push(d);
  return out;
}

/**
 * Builds the notifier and its enabled channels.
 *
 * @throws {NotifyError} for settings that cannot work (no recipients, unreadable
 * password_file, a malformed header), naming the key.
 */
export function notifierFromConfig(c: NotifyConfig, rt: NotifierRuntime = {}): Notifier {
  const retry = retryDelaysMs(c.notify.retries, c.notify.retry_delay);
  const channels: { channel: NotifyChannel; policy: ChannelPolicy }[] = [];
  const policy = (
    s: { min_severity: number; rate_limit: number },
    retries: readonly number[],
  ): ChannelPolicy => ({
    minSeverity: s.min_severity as Severity,
    ratePerMinute: s.rate_limit,
    retryDelaysMs: retries,
  });
  const d = c.desktop;
  if (d.enabled) {
    channels.push({
      channel: new DesktopChannel({
        appName: d.app_name,
        urgency: [d.urgency_high, d.urgency_medium, d.urgency_low],
        expireMs: d.expire * 1000,
        busAddress: d.bus_address,
        user: d.user,
        timeoutMs: d.timeout * 1000,
        notifySend: "notify-send",
      }),
      policy: policy(d, []),
    });
  }
  const e = c.email;
  if (e.enabled) {
    let password = e.password;
    if (e.password_file !== "") {
      try {
        password = (rt.readTextFile ?? Deno.readTextFileSync)(e.password_file).trim();
      } catch (err) {
        throw new NotifyError(
          `Cannot read notify.email.password_file = ${JSON.stringify(e.password_file)}: ${
            err instanceof Error ? err.message : err
          }`,
          { cause: err },
        );
      }
    }
    channels.push({
      channel: new EmailChannel({
        host: e.host,
        port: e.port,
        starttls: e.starttls as "auto" | "always" | "never",
        implicitTls: e.implicit_tls,
        username: e.username,
        password,
        from: e.from,
        to: e.to,
        subjectPrefix: e.subject_prefix,
        timeoutMs: e.timeout * 1000,
      }),
      policy: policy(e, retry),
    });
  }
  const w = c.webhook;
  if (w.enabled && w.url !== "") {
    channels.push({
      channel: new WebhookChannel({
        url: w.url,
        template: w.template as (typeof WEBHOOK_TEMPLATES)[number],
        headers: w.headers,
        timeoutMs: w.timeout * 1000,
      }),
      policy: policy(w, retry),
    });
  }
  const s = c.syslog;
  if (s.enabled) {
    channels.push({
      channel: new SyslogChannel({
        transport: s.transport as "unix" | "udp" | "tcp",
        socketPath: s.socket,
        host: s.host,
        port: s.port,
        facility: s.facility,
        appName: s.app_name,
        timeoutMs: s.timeout * 1000,
      }),
      policy: policy(s, []),
    });
  }
  return new Notifier(channels, {
    ratePerMinute: c.notify.rate_limit,
    queueLength: c.notify.queue_length,
    bans: c.notify.bans as "add" | "all" | "none",
    dryRun: rt.dryRun ?? false,
    tickMs: rt.tickMs ?? 1000,
    ...(rt.log === undefined ? {} : { log: rt.log }),
    ...(rt.toEve === undefined ? {} : { toEve: rt.toEve }),
    ...(rt.now === undefined ? {} : { now: rt.now }),
  });
}
