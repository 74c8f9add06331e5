/**
 * `pcap_ts bans list [--json] | unban IP | flush`: functions returning text and an exit code
 * (0 success, 1 runtime failure or not banned, 2 bad usage) for the integrator's CLI.
 *
 * They act on the kernel's sets directly (so they work while pcap_ts runs; its periodic
 * reconcile then forgets the removed bans) and keep the state file in step.
 *
 * @module
 */

import { formatDuration } from "../config/duration.ts";
import { createBackend } from "./ban_backend.ts";
import type { BanResponseConfig } from "./ban_config.ts";
import {
  type BanEntry,
  BanError,
  type FirewallBackend,
  isPermissionError,
  NOT_PERMITTED,
} from "./firewall.ts";
import { normalizeIp } from "./safety_ip.ts";
import { loadState, saveState } from "./state.ts";

/** Text for stdout (or stderr when `code` is not 0) and the exit status. */
export interface CliResult {
  code: number;
  text: string;
}

/** The whole config (with `response`) or just its `[response]` values. */
export type BanCliConfig = BanResponseConfig | { readonly response: BanResponseConfig };

/** Test and integration hooks. */
export interface BanCliDeps {
  /** Use this backend instead of the one `response.backend` names. */
  backend?: FirewallBackend;
}

function responseOf(c: BanCliConfig): BanResponseConfig {
  return "response" in c ? c.response : c;
}

async function backendFor(r: BanResponseConfig, deps: BanCliDeps): Promise<FirewallBackend> {
  // Listing and removing act on the real firewall even in dry-run mode for list; changes are
  // refused below when dry_run is set.
  return deps.backend ?? await createBackend(r.backend === "dry-run" ? "auto" : r.backend);
}

function failure(e: unknown): CliResult {
  const msg = (e as Error).message ?? String(e);
  if (isPermissionError(msg)) return { code: 1, text: NOT_PERMITTED };
  if (e instanceof BanError) return { code: 1, text: msg };
  return { code: 1, text: `Cannot read or change the bans: ${msg}` };
}

/** Offence counts from the state file, when readable (an unreadable file is not an error here). */
async function offencesFromState(path: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  try {
    const doc = JSON.parse(await Deno.readTextFile(path)) as {
      bans?: { ip: string; offences: number }[];
    };
    for (const b of doc.bans ?? []) out.set(b.ip, b.offences);
  } catch {
    // No state file, or not readable: list without offence counts.
  }
  return out;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s + " " : s + " ".repeat(n - s.length);
}

/** Renders entries as the text table `bans list` prints. */
export function formatBanTable(
  entries: readonly BanEntry[],
  offences: ReadonlyMap<string, number>,
): string {
  if (entries.length === 0) return "No active bans";
  const head = pad("ADDRESS", 40) + pad("KIND", 6) + pad("EXPIRES IN", 12) + pad("OFFENCES", 9) +
    "REASON";
  const rows = entries.map((e) =>
    pad(e.ip, 40) + pad(e.kind, 6) +
    pad(e.expiresS === null ? "never" : formatDuration(e.expiresS), 12) +
    pad(String(offences.get(e.ip) ?? "-"), 9) + (e.reason ?? "")
  );
  return [head, ...rows].join("\n");
}

/** `pcap_ts bans list [--json]`: what is in the firewall now, with the remaining time. */
export async function bansList(
  config: BanCliConfig,
  opts: { json?: boolean } = {},
  deps: BanCliDeps = {},
): Promise<CliResult> {
  const r = responseOf(config);
  let backend: FirewallBackend;
  let entries: BanEntry[];
  try {
    backend = await backendFor(r, deps);
    entries = await backend.list();
    await backend.stop();
  } catch (e) {
    return failure(e);
  }
  const offences = await offencesFromState(r.state_file);
  entries.sort((a, b) =>
    (a.expiresS ?? Infinity) - (b.expiresS ?? Infinity) || a.ip.localeCompare(b.ip)
  );
  if (opts.json) {
    return {
      code: 0,
      text: JSON.stringify(entries.map((e) => ({
        ip: e.ip,
        kind: e.kind,
        expires_s: e.expiresS,
        timeout_s: e.timeoutS,
        reason: e.reason,
        offences: offences.get(e.ip) ?? null,
      }))),
    };
  }
  return { code: 0, text: formatBanTable(entries, offences) };
}

async function dropFromState(
  path: string,
  keep: (b: { ip: string; kind: string }) => boolean,
): Promise<string | null> {
  try {
    const { state, warning } = await loadState(path);
    if (warning) return warning;
    if (state.savedAt === 0 && state.bans.length === 0) return null;
    state.bans = state.bans.filter(keep);
    state.savedAt = Date.now() / 1000;
    await saveState(path, state);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/** `pcap_ts bans unban IP`: removes a ban (or an outbound block, or an IPv6 prefix ban). */
export async function bansUnban(
  config: BanCliConfig,
  ipText: string,
  deps: BanCliDeps = {},
): Promise<CliResult> {
  const r = responseOf(config);
  const ip = normalizeIp(ipText);
  if (ip === null) {
    return {
      code: 2,
      text:
        `Not a valid IP address or prefix: "${ipText}" (expected e.g. 192.0.2.7 or 2001:db8::7)`,
    };
  }
  try {
    const backend = await backendFor(r, deps);
    const found = (await backend.list()).filter((e) => e.ip === ip);
    if (found.length === 0) {
      await backend.stop();
      return { code: 1, text: `${ip} is not banned (see "pcap_ts bans list")` };
    }
    if (r.dry_run) {
      await backend.stop();
      return {
        code: 0,
        text: `dry-run: would remove ${found.map((f) => `the ${f.kind} of ${ip}`).join(" and ")}`,
      };
    }
    for (const f of found) backend.unban(ip, f.kind);
    const res = await backend.commit();
    await backend.stop();
    if (res.failed.length > 0) {
      return failure(new BanError(res.failed.map((f) => f.error).join("; ")));
    }
    const warn = await dropFromState(r.state_file, (b) => b.ip !== ip);
    return {
      code: 0,
      text: `Removed ${found.map((f) => `the ${f.kind} of ${ip}`).join(" and ")}${
        warn ? `\nWarning: ${warn}` : ""
      }`,
    };
  } catch (e) {
    return failure(e);
  }
}

/** `pcap_ts bans flush`: empties pcap_ts's own sets (nothing else in the firewall). */
export async function bansFlush(config: BanCliConfig, deps: BanCliDeps = {}): Promise<CliResult> {
  const r = responseOf(config);
  try {
    const backend = await backendFor(r, deps);
    const n = (await backend.list()).length;
    if (r.dry_run) {
      await backend.stop();
      return { code: 0, text: `dry-run: would remove ${n} ban${n === 1 ? "" : "s"}` };
    }
    await backend.flush();
    await backend.stop();
    const warn = await dropFromState(r.state_file, () => false);
    return {
      code: 0,
      text: `Removed ${n} ban${n === 1 ? "" : "s"}${warn ? `\nWarning: ${warn}` : ""}`,
    };
  } catch (e) {
    return failure(e);
  }
}
