/**
 * The response to alerts: suppression of repeats, then the policy's actions: log (EVE and
 * console), notify, ban. The only place that ties detectors' alerts to side effects.
 *
 * @module
 */

import type { Alert } from "../detect/alert.ts";
import type { BanEvent as ManagerBanEvent, BanManager, RefusalEvent } from "./ban_manager.ts";
import type { ConsoleReporter } from "./console.ts";
import {
  alertToEve,
  banEventToEve,
  eveTimestamp,
  type EveWriter,
  suppressionToEve,
} from "./eve.ts";
import type { Notifier } from "./notify.ts";
import { decide, type ResponseRule } from "./policy.ts";
import type { SuppressionSummary, Suppressor } from "./suppress.ts";

/** What a {@link Responder} acts through; null parts are skipped. */
export interface ResponderParts {
  readonly rules: readonly ResponseRule[];
  readonly suppressor: Suppressor;
  readonly eve: EveWriter | null;
  readonly console: ConsoleReporter | null;
  readonly notifier: Notifier | null;
  readonly bans: BanManager | null;
  /** Log lines for the operator (stderr by default). */
  readonly log?: (line: string) => void;
  /** Bans are only decided (the dry-run backend logs them itself). */
  readonly dryRun?: boolean;
}

/** Counters of a {@link Responder}. */
export interface ResponderStats {
  alerts: number;
  suppressed: number;
  logged: number;
  notified: number;
  banRequests: number;
  banned: number;
  banRefused: number;
}

/** Routes alerts to actions; see the module doc. */
export class Responder {
  readonly #p: ResponderParts;
  readonly #log: (line: string) => void;
  readonly counters: ResponderStats = {
    alerts: 0,
    suppressed: 0,
    logged: 0,
    notified: 0,
    banRequests: 0,
    banned: 0,
    banRefused: 0,
  };

  constructor(parts: ResponderParts) {
    this.#p = parts;
    this.#log = parts.log ?? ((l) => console.error(l));
  }

  /** Handles one alert: suppression, then the first matching rule's actions. */
  alert(alert: Alert): void {
    const p = this.#p;
    this.counters.alerts++;
    const s = p.suppressor.check(alert, alert.ts);
    if (!s.pass) {
      this.counters.suppressed++;
      return;
    }
    const d = decide(alert, p.rules);
    let action: "allowed" | "blocked" = "allowed";
    let banNote: string | null = null;
    if (d.ban && p.bans) {
      this.counters.banRequests++;
      const r = p.bans.request(
        d.banDurationS !== null && d.banDurationS > 0
          ? {
            ip: alert.offender,
            reason: `${alert.detector}: ${alert.signature}`,
            durationS: d.banDurationS,
          }
          : alert,
      );
      if (r.ok) {
        this.counters.banned++;
        // A dry run blocks nothing: the alert says what would have been done instead.
        if (p.dryRun) {
          banNote = `dry-run: would ban ${r.ip} ${
            r.durationS > 0 ? `for ${r.durationS}s` : "without a time limit"
          }`;
        } else action = "blocked";
      } else {
        this.counters.banRefused++;
        banNote = `${r.reason}: ${r.detail}`;
      }
    } else if (d.banWithheldSpoofable) {
      banNote = "not banned: the evidence could be spoofed (rule has ban_spoofable = false)";
    }
    if (d.log) {
      this.counters.logged++;
      const eve = alertToEve(alert, action) as unknown as Record<string, unknown>;
      if (s.suppressed > 0 || banNote !== null) {
        const ext = { ...(eve.pcap_ts as Record<string, unknown>) };
        if (s.suppressed > 0) ext.suppressed = s.suppressed;
        if (banNote !== null) ext.ban = banNote;
        eve.pcap_ts = ext;
      }
      p.eve?.write(eve);
      p.console?.alert(alert);
    }
    if (d.notify && p.notifier) {
      this.counters.notified++;
      p.notifier.alert(alert, s.suppressed);
    }
  }

  /** A ban or unban that reached the firewall (or the dry-run log): EVE `ban` event. */
  banEvent(e: ManagerBanEvent): void {
    const event = {
      ts: e.ts,
      ip: e.ip,
      action: e.action,
      durationS: e.action === "add" && e.durationS > 0 ? e.durationS : null,
      reason: e.reason,
    };
    if (this.#p.dryRun) {
      // Decided, not made: say so, so that a reader of the EVE log cannot mistake it.
      const eve = banEventToEve(event) as unknown as { ban: Record<string, unknown> };
      eve.ban.dry_run = true;
      this.#p.eve?.write(eve as unknown as Record<string, unknown>);
      return;
    }
    this.#p.eve?.write(banEventToEve(event));
    this.#log(
      `pcap_ts: ${e.action === "add" ? "banned" : "unbanned"} ${e.ip}` +
        (event.durationS !== null ? ` for ${event.durationS}s` : "") + ` (${e.reason})`,
    );
    this.#p.notifier?.ban(event);
  }

  /** A ban the safety rules or the rate cap refused. */
  refusal(r: RefusalEvent): void {
    this.#p.eve?.write({
      timestamp: eveTimestamp(r.ts),
      event_type: "ban",
      ban: { ip: r.ip, action: "refused", reason: r.reason, detail: r.detail },
    });
  }

  /** Reports repeats whose suppression interval ended; call about once a second. */
  tick(nowS: number): void {
    for (const summary of this.#p.suppressor.sweep(nowS)) this.#summary(summary);
  }

  #summary(s: SuppressionSummary): void {
    this.#p.eve?.write(suppressionToEve(s));
    this.#p.notifier?.suppressed(s);
  }
}
