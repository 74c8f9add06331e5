/**
 * EVE-style JSON lines (DESIGN.md "Events"): field names as in Suricata's EVE, so that jq,
 * Elastic, Splunk and Wazuh read them unchanged, plus a buffered appending writer.
 *
 * @module
 */

import type { SuppressionSummary } from "./suppress.ts";
import type { Alert, Evidence } from "../detect/alert.ts";

const pad = (n: number, width: number) => String(n).padStart(width, "0");

/**
 * Suricata's timestamp form, in UTC with microseconds: `2026-12-04T19:31:08.123456+0000`.
 *
 * @example
 * ```ts
 * import { eveTimestamp } from "./eve.ts";
 * console.assert(eveTimestamp(0.5) === "1970-01-01T00:00:00.500000+0000");
 * ```
 */
export function eveTimestamp(seconds: number): string {
  let whole = Math.floor(seconds);
  let micros = Math.round((seconds - whole) * 1e6);
  if (micros >= 1e6) {
    whole += 1;
    micros -= 1e6;
  }
  const d = new Date(whole * 1000);
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}` +
    `T${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}` +
    `.${pad(micros, 6)}+0000`;
}

/** Suricata's `alert.action`: whether the traffic was let through or blocked. */
export type EveAlertAction = "allowed" | "blocked";

/** One EVE event: a JSON object with at least `timestamp` and `event_type`. */
export interface EveEvent {
  timestamp: string;
  event_type: string;
  [field: string]: unknown;
}

/**
 * An alert as an EVE `alert` event. `action` is `"blocked"` when the response banned or
 * blocked the offender, `"allowed"` otherwise. Ports are left out when the alert has none
 * (ICMP, ARP), as Suricata does.
 */
export function alertToEve(alert: Alert, action: EveAlertAction = "allowed"): EveEvent {
  return {
    timestamp: eveTimestamp(alert.ts),
    event_type: "alert",
    src_ip: alert.srcIp,
    ...(alert.srcPort !== null ? { src_port: alert.srcPort } : {}),
    dest_ip: alert.destIp,
    ...(alert.destPort !== null ? { dest_port: alert.destPort } : {}),
    proto: alert.proto,
    alert: {
      action,
      signature_id: alert.signatureId,
      signature: alert.signature,
      category: alert.category,
      severity: alert.severity,
    },
    pcap_ts: {
      detector: alert.detector,
      evidence: alert.evidence,
      process: alert.process === null ? null : {
        pid: alert.process.pid,
        name: alert.process.name,
        cmdline: alert.process.cmdline,
        uid: alert.process.uid,
      },
      direction: alert.direction,
      offender: alert.offender,
      spoofable: alert.spoofable,
    },
  };
}

/** A ban added or removed by the response. */
export interface BanEvent {
  /** Seconds since the epoch. */
  ts: number;
  ip: string;
  action: "add" | "remove";
  /** Ban length in seconds (null for a removal or a ban without expiry). */
  durationS: number | null;
  reason: string;
}

/** A ban as an EVE `ban` event: `{"ban":{"ip","action","duration_s","reason"}}`. */
export function banEventToEve(e: BanEvent): EveEvent {
  return {
    timestamp: eveTimestamp(e.ts),
    event_type: "ban",
    ban: { ip: e.ip, action: e.action, duration_s: e.durationS, reason: e.reason },
  };
}

/** Repeats that suppression held back, as an EVE `suppressed` event. */
export function suppressionToEve(s: SuppressionSummary): EveEvent {
  return {
    timestamp: eveTimestamp(s.lastTs),
    event_type: "suppressed",
    suppressed: {
      detector: s.detector,
      offender: s.offender,
      target: s.target,
      signature: s.signature,
      count: s.count,
      reason: s.reason,
      first: eveTimestamp(s.firstTs),
      last: eveTimestamp(s.lastTs),
    },
  };
}

/** Periodic counters; any further numeric counters are passed through by name. */
export interface StatsEvent {
  ts: number;
  packets: number;
  drops: number;
  flows: number;
  evictions: number;
  alerts: number;
  [counter: string]: number | { [name: string]: Evidence };
}

/** Counters as an EVE `stats` event: `{"stats":{"packets","drops","flows",...}}`. */
export function statsToEve(s: StatsEvent): EveEvent {
  const { ts, ...counters } = s;
  return { timestamp: eveTimestamp(ts), event_type: "stats", stats: counters };
}

/** Where an {@link EveWriter} writes: a file or standard output. */
interface Sink {
  writeSync(p: Uint8Array): number;
  close?(): void;
}

/** Lines kept in memory before they are written regardless of the timer (characters). */
const FLUSH_AT_CHARS = 64 * 1024;
/** Longest time a line waits in the buffer. */
const FLUSH_INTERVAL_MS = 1000;

/**
 * Appends EVE events as JSON lines to a file (`"-"`: standard output). Lines are buffered
 * and written at least every second, when 64 KiB have gathered, and on {@link close}.
 *
 * Writes are synchronous (one `writeSync` loop per flush of up to 64 KiB): lines keep their
 * order and none is lost on close, even in an exit path where promises do not run. The
 * capture loop runs in a Worker, so a slow reader of stdout delays only the main thread.
 */
export class EveWriter {
  #sink: Sink;
  #pending: string[] = [];
  #pendingChars = 0;
  #timer: ReturnType<typeof setInterval>;
  #closed = false;
  #encoder = new TextEncoder();
  readonly path: string;

  private constructor(path: string, sink: Sink) {
    this.path = path;
    this.#sink = sink;
    this.#timer = setInterval(() => {
      try {
        this.flushSync();
      } catch (e) {
        console.error(`pcap_ts: ${(e as Error).message}`);
      }
    }, FLUSH_INTERVAL_MS);
    // The flush timer alone does not keep the program running.
    this.#timer.unref();
  }

  /** Opens `path` for appending (created with mode 0640 if missing); `"-"` is stdout. */
  static async open(path: string): Promise<EveWriter> {
    if (path === "-") return new EveWriter(path, Deno.stdout);
    try {
      const file = await Deno.open(path, { append: true, create: true, mode: 0o640 });
      return new EveWriter(path, file);
    } catch (e) {
      throw new Error(
        `Cannot open the EVE file ${path}: ${(e as Error).message}; check that its folder ` +
          "exists and is writable, or use --eve - for standard output",
        { cause: e },
      );
    }
  }

  /** Queues one event (any JSON-safe object) as one line. */
  write(event: EveEvent | Record<string, unknown>): void {
    if (this.#closed) throw new Error(`EVE writer for ${this.path} is closed`);
    const line = JSON.stringify(event) + "\n";
    this.#pending.push(line);
    this.#pendingChars += line.length;
    if (this.#pendingChars >= FLUSH_AT_CHARS) this.flushSync();
  }

  /** Writes every queued line now; throws when the write fails (disk full, closed pipe). */
  flushSync(): void {
    if (this.#pending.length === 0) return;
    const bytes = this.#encoder.encode(this.#pending.join(""));
    this.#pending = [];
    this.#pendingChars = 0;
    try {
      for (let off = 0; off < bytes.length;) off += this.#sink.writeSync(bytes.subarray(off));
    } catch (e) {
      throw new Error(`Cannot write to the EVE file ${this.path}: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }

  /** Writes every queued line. */
  flush(): Promise<void> {
    try {
      this.flushSync();
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Writes everything queued, then closes the file (standard output stays open). */
  close(): Promise<void> {
    try {
      this.closeSync();
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** {@link close} for exit paths that cannot await. */
  closeSync(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    try {
      this.flushSync();
    } finally {
      if (this.#sink !== Deno.stdout) this.#sink.close?.();
    }
  }
}
