/**
 * The {@link Notifier}: takes alerts, ban events and suppression summaries, and fans them out
 * to the configured channels (desktop, email, webhook, syslog) without ever blocking the
 * caller.
 *
 * For each message: a global rate limit, then per channel a minimum severity, a rate limit
 * (token bucket; what it holds back is sent as one digest when the bucket refills), a bounded
 * queue (overflow is counted, not fatal), and retries with exponential backoff for the
 * channels that ask for them. A failing channel is logged once per failure streak, with the
 * error, and once when it recovers; it never throws out of the notifier.
 *
 * @module
 */

import type { Alert, Severity } from "../detect/alert.ts";
import {
  type BanEvent,
  emptyHeldBack,
  formatAlert,
  formatBan,
  formatDigest,
  formatSuppression,
  type HeldBack,
  holdBack,
  type NotifyMessage,
} from "./notify_format.ts";
import type { SuppressionSummary } from "./suppress.ts";
import { alertToEve } from "./eve.ts";

export type { BanEvent, NotifyMessage } from "./notify_format.ts";

/** One notification channel. `send` rejects on failure; the notifier handles the rest. */
export interface NotifyChannel {
  /** "desktop", "email", "webhook", "syslog" (or a test's name). */
  readonly name: string;
  send(message: NotifyMessage): Promise<void>;
  /** Releases connections; called by {@link Notifier.close}. */
  close?(): Promise<void> | void;
}

/** How the notifier treats one channel. */
export interface ChannelPolicy {
  /** Messages less severe than this (a higher number) are not sent on this channel. */
  readonly minSeverity: Severity;
  /** Messages per minute (token bucket, burst of the same size); 0 = no limit. */
  readonly ratePerMinute: number;
  /** Waits before each retry, in ms (`[1000, 5000, 25000]`); empty = one try only. */
  readonly retryDelaysMs: readonly number[];
}

/** Log sink for the notifier's own problems. */
export type NotifyLog = (level: "info" | "warn" | "error", message: string) => void;

/** Options of a {@link Notifier}. */
export interface NotifierOptions {
  /** Global limit over all messages before fan-out, per minute; 0 = no limit. */
  readonly ratePerMinute: number;
  /** Most messages waiting per channel; more are dropped and counted. */
  readonly queueLength: number;
  /** Decide and log, send nothing. */
  readonly dryRun?: boolean;
  /** Wall clock in ms (rate limits run on wall time: they protect the receivers). */
  readonly now?: () => number;
  /** Where failures and recoveries are reported. Default: `console.error`. */
  readonly log?: NotifyLog;
  /** EVE form of an alert; default `alertToEve` from `actions/eve.ts` (action "allowed"). */
  readonly toEve?: (alert: Alert) => Record<string, unknown>;
  /** Run {@link Notifier.tick} on a timer of this many ms (unref'd); 0 = the caller ticks. */
  readonly tickMs?: number;
  /** Which ban events to send: "add" (default), "all" (also removals) or "none". */
  readonly bans?: "add" | "all" | "none";
}

/** Counters of one channel. */
export interface ChannelStats {
  sent: number;
  /** Messages given up after all tries. */
  failed: number;
  /** Tries that failed and were retried. */
  retried: number;
  /** Dropped because the queue was full. */
  queueOverflow: number;
  /** Held back by the channel's rate limit (reported later in a digest). */
  rateLimited: number;
  /** Below the channel's minimum severity. */
  belowSeverity: number;
  digests: number;
  /** Still queued (or waiting to retry) when the notifier was closed. */
  droppedAtClose: number;
}

/** A token bucket that remembers what it refused, for a digest. */
export class RateGate {
  readonly #capacity: number;
  readonly #perMs: number;
  #tokens: number;
  #last: number;
  held: HeldBack = emptyHeldBack();

  /** `perMinute` 0 means unlimited. */
  constructor(perMinute: number, nowMs: number) {
    this.#capacity = perMinute;
    this.#perMs = perMinute / 60_000;
    this.#tokens = perMinute;
    this.#last = nowMs;
  }

  #refill(nowMs: number): void {
    const dt = Math.max(0, nowMs - this.#last);
    this.#last = Math.max(this.#last, nowMs);
    this.#tokens = Math.min(this.#capacity, this.#tokens + dt * this.#perMs);
  }

  /**
   * Offers a message: returns the messages to send now, in order: a digest of what was held
   * back (when the bucket has refilled since), then the message itself if a token is left.
   */
  offer(m: NotifyMessage, nowMs: number, where: string): NotifyMessage[] {
    if (this.#capacity <= 0) return [m];
    const out = this.reopen(nowMs, where);
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      out.push(m);
    } else {
      holdBack(this.held, m);
    }
    return out;
  }

  /** The digest of held-back messages, when a token is available for it. */
  reopen(nowMs: number, where: string): NotifyMessage[] {
    if (this.#capacity <= 0) return [];
    this.#refill(nowMs);
    if (this.held.count === 0 || this.#tokens < 1) return [];
    this.#tokens -= 1;
    const digest = formatDigest(this.held, where);
    this.held = emptyHeldBack();
    return [digest];
  }
}

class ChannelRunner {
  readonly stats: ChannelStats = {
    sent: 0,
    failed: 0,
    retried: 0,
    queueOverflow: 0,
    rateLimited: 0,
    belowSeverity: 0,
    digests: 0,
    droppedAtClose: 0,
  };
  readonly gate: RateGate;
  readonly #queue: NotifyMessage[] = [];
  #running: Promise<void> | null = null;
  #failStreak = 0;
  #overflowReported = false;
  #closed = false;
  /** Ends the current retry wait early (on close). */
  #wake: (() => void) | null = null;

  constructor(
    readonly channel: NotifyChannel,
    readonly policy: ChannelPolicy,
    readonly queueLength: number,
    readonly log: NotifyLog,
    readonly dryRun: boolean,
    nowMs: number,
  ) {
    this.gate = new RateGate(policy.ratePerMinute, nowMs);
  }

  offer(m: NotifyMessage, nowMs: number): void {
    if (m.severity > this.policy.minSeverity) {
      this.stats.belowSeverity++;
      return;
    }
    const before = this.gate.held.count;
    const out = this.gate.offer(m, nowMs, this.channel.name);
    if (this.gate.held.count > before) this.stats.rateLimited++;
    for (const x of out) this.#enqueue(x);
  }

  tick(nowMs: number): void {
    for (const x of this.gate.reopen(nowMs, this.channel.name)) this.#enqueue(x);
  }

  #enqueue(m: NotifyMessage): void {
    if (this.#closed) {
      this.stats.droppedAtClose++;
      return;
    }
    if (m.kind === "digest") this.stats.digests++;
    if (this.#queue.length >= this.queueLength) {
      this.stats.queueOverflow++;
      if (!this.#overflowReported) {
        this.#overflowReported = true;
        this.log(
          "warn",
          `Notification channel ${this.channel.name}: queue full (${this.queueLength}), dropping messages until it drains`,
        );
      }
      return;
    }
    this.#queue.push(m);
    if (this.#running === null) {
      this.#running = this.#pump().finally(() => {
        this.#running = null;
      });
    }
  }

  async #pump(): Promise<void> {
    // Let the caller's synchronous code (the alert path) finish before any channel work.
    await Promise.resolve();
    for (let m = this.#queue.shift(); m !== undefined; m = this.#queue.shift()) {
      await this.#deliver(m);
      if (this.#queue.length === 0) this.#overflowReported = false;
    }
  }

  async #deliver(m: NotifyMessage): Promise<void> {
    if (this.dryRun) {
      this.log("info", `Dry run: would notify via ${this.channel.name}: ${m.line}`);
      this.stats.sent++;
      return;
    }
    const delays = this.policy.retryDelaysMs;
    for (let attempt = 0;; attempt++) {
      try {
        await this.channel.send(m);
        this.stats.sent++;
        if (this.#failStreak > 0) {
          this.log(
            "info",
            `Notification channel ${this.channel.name} works again after ${this.#failStreak} failed message(s)`,
          );
          this.#failStreak = 0;
        }
        return;
      } catch (e) {
        if (attempt < delays.length) {
          this.stats.retried++;
          await this.#sleep(delays[attempt]!);
          if (this.#closed) {
            this.stats.droppedAtClose++;
            return;
          }
          continue;
        }
        this.stats.failed++;
        if (this.#failStreak === 0) {
          this.log(
            "error",
            `Notification channel ${this.channel.name} failed (${attempt + 1} ${
              attempt === 0 ? "try" : "tries"
            }): ${errorText(e)}; further failures are counted until it works again`,
          );
        }
        this.#failStreak++;
        return;
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = null;
        resolve();
      }, ms);
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = null;
        resolve();
      };
    });
  }

  /** Stops taking messages, drops what waits (counted) and ends a retry wait. */
  abort(): void {
    this.#closed = true;
    this.stats.droppedAtClose += this.#queue.length;
    this.#queue.length = 0;
    this.#wake?.();
  }

  async idle(): Promise<void> {
    while (this.#running !== null) await this.#running;
  }
}

/** The message of an error and of its causes, on one line. */
export function errorText(e: unknown): string {
  const parts: string[] = [];
  for (let x: unknown = e, depth = 0; x !== undefined && x !== null && depth < 4; depth++) {
    if (x instanceof Error) {
      parts.push(`${x.name}: ${x.message}`);
      x = x.cause;
    } else {
      parts.push(String(x));
      break;
    }
  }
  return parts.join(" <- ").replace(/\s+/g, " ").slice(0, 500);
}

/** Fans alerts and ban events out to channels; see the module doc. */
export class Notifier {
  readonly #runners: ChannelRunner[] = [];
  readonly #global: RateGate;
  readonly #now: () => number;
  readonly #log: NotifyLog;
  readonly #toEve: (alert: Alert) => Record<string, unknown>;
  readonly #bans: "add" | "all" | "none";
  #timer: ReturnType<typeof setInterval> | null = null;
  /** Messages held back by the global rate limit so far. */
  globalRateLimited = 0;

  constructor(
    channels: readonly { channel: NotifyChannel; policy: ChannelPolicy }[],
    options: NotifierOptions,
  ) {
    this.#now = options.now ?? Date.now;
    this.#log = options.log ?? ((level, msg) => console.error(`[${level}] ${msg}`));
    this.#toEve = options.toEve ?? ((a) => alertToEve(a));
    this.#bans = options.bans ?? "add";
    const now = this.#now();
    this.#global = new RateGate(options.ratePerMinute, now);
    for (const { channel, policy } of channels) {
      this.#runners.push(
        new ChannelRunner(
          channel,
          policy,
          Math.max(1, options.queueLength),
          this.#log,
          options.dryRun ?? false,
          now,
        ),
      );
    }
    const tickMs = options.tickMs ?? 0;
    if (tickMs > 0) {
      const timer = setInterval(() => this.tick(), tickMs);
      Deno.unrefTimer(timer);
      this.#timer = timer;
    }
  }

  /** Names of the channels in use. */
  get channels(): string[] {
    return this.#runners.map((r) => r.channel.name);
  }

  /** Queues a notification for an alert; `suppressed` repeats were held back before it. */
  alert(alert: Alert, suppressed = 0): void {
    let message: NotifyMessage;
    try {
      message = formatAlert(alert, suppressed, this.#toEve(alert));
    } catch (e) {
      this.#log("error", `Cannot format a notification for ${alert.detector}: ${errorText(e)}`);
      return;
    }
    this.send(message);
  }

  /** Queues a short notification for a ban event (as `bans` allows). */
  ban(event: BanEvent): void {
    if (this.#bans === "none" || (this.#bans === "add" && event.action !== "add")) return;
    this.send(formatBan(event));
  }

  /** Queues the summary of repeats that suppression held back. */
  suppressed(summary: SuppressionSummary): void {
    this.send(formatSuppression(summary));
  }

  /** Queues a prepared message (through the global limit, to every channel). */
  send(message: NotifyMessage): void {
    const now = this.#now();
    const out = this.#global.offer(message, now, "global");
    if (out.length === 0 || out[out.length - 1] !== message) this.globalRateLimited++;
    for (const m of out) this.#fanOut(m, now);
  }

  #fanOut(m: NotifyMessage, now: number): void {
    for (const r of this.#runners) r.offer(m, now);
  }

  /** Sends digests whose rate-limit window has reopened. Call about once a second. */
  tick(): void {
    const now = this.#now();
    for (const m of this.#global.reopen(now, "global")) this.#fanOut(m, now);
    for (const r of this.#runners) r.tick(now);
  }

  /** Counters per channel. */
  stats(): Record<string, ChannelStats> {
    const out: Record<string, ChannelStats> = {};
    for (const r of this.#runners) out[r.channel.name] = { ...r.stats };
    return out;
  }

  /** Resolves when every queued message has been sent or given up. */
  async flush(): Promise<void> {
    await Promise.all(this.#runners.map((r) => r.idle()));
  }

  /**
   * Stops the timer, waits up to `timeoutMs` for the queues, then drops what is left (counted
   * in `droppedAtClose`, retry waits included) and closes the channels.
   */
  async close(timeoutMs = 5000): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.flush(),
      new Promise<void>((r) => {
        timer = setTimeout(r, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    for (const r of this.#runners) r.abort();
    for (const r of this.#runners) {
      try {
        await r.channel.close?.();
      } catch (e) {
        this.#log("warn", `Closing notification channel ${r.channel.name}: ${errorText(e)}`);
      }
    }
  }
}
