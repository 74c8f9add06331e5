/**
 * Config declarations of the ban half of `[response]`, and their conversion to the settings
 * {@link BanManager} uses. The integrator merges {@link BAN_RESPONSE_KEYS} into the
 * `[response]` section next to the policy's `rule` key.
 *
 * @module
 */

import { parseDuration } from "../config/duration.ts";
import type { KeySpec, SectionSpec, SectionValues } from "../config/spec.ts";
import type { BackendName } from "./firewall.ts";

/** The keys of `[response]` that the ban code reads. */
export const BAN_RESPONSE_KEYS = {
  dry_run: {
    type: "boolean",
    default: false,
    doc: "Decide and log bans (and notifications), but change no firewall. Default false. Use " +
      "it for a first week on a new server to see what would be banned.",
  },
  allowlist: {
    type: "cidrs",
    default: [] as readonly string[],
    doc: 'Addresses and CIDR blocks never counted as attackers and never banned ("192.0.2.0/24", ' +
      '"2001:db8::/32"). Default empty. Private ranges are not allowlisted by default: most ' +
      "attacks on a server inside a network come from a compromised neighbour in the same " +
      "private range. Loopback, this host's addresses, its gateways and DNS resolvers, " +
      "link-local, multicast and broadcast are never banned whatever this says.",
  },
  backend: {
    type: "string",
    default: "auto",
    choices: ["auto", "nftables", "iptables", "dry-run", "memory"],
    doc: 'Firewall used for bans: "nftables" (table inet pcap_ts, through libnftables or the nft ' +
      'command), "iptables" (iptables + ipset, for hosts without nftables), "dry-run" (log only), ' +
      '"memory" (no firewall, for simulation). Default "auto": nftables when it works, else ' +
      "iptables + ipset.",
  },
  ban_durations: {
    type: "strings",
    default: ["10m", "1h", "24h", "7d"],
    doc: "Ban length for a first, second, third... offence of the same address; offences past " +
      'the end of the list use the last entry. Default ["10m", "1h", "24h", "7d"]. Short first ' +
      "bans undo mistakes quickly; the escalation keeps repeat offenders out.",
  },
  offence_memory: {
    type: "duration",
    default: 2592000,
    min: 60,
    doc: "How long an address's offences are remembered for escalation after its last offence. " +
      'Default "30d". Longer memory escalates slow, persistent attackers; shorter forgives ' +
      "addresses that were reassigned to someone else.",
  },
  max_bans_per_minute: {
    type: "integer",
    default: 30,
    min: 1,
    max: 100000,
    doc: "At most this many new bans in any 60 seconds; more are refused and logged. Default 30. " +
      "A cap stops a flood of spoofed sources from filling the firewall; raise it on hosts " +
      "that are scanned by many real sources at once.",
  },
  ipv6_prefix_after: {
    type: "integer",
    default: 3,
    min: 0,
    max: 1000,
    doc: "Ban the whole IPv6 /64 once this many different addresses in it have been banned (an " +
      "attacker owns the /64 and can hop addresses within it). Default 3; 0 never bans a " +
      "prefix. Lower values stop hopping sooner but risk banning a shared network.",
  },
  state_file: {
    type: "string",
    default: "/var/lib/pcap_ts/state.json",
    doc: "Where active bans and offence history are kept so that they survive a restart or a " +
      'crash. Default "/var/lib/pcap_ts/state.json"; the directory is created when missing.',
  },
  commit_interval_ms: {
    type: "integer",
    default: 100,
    min: 1,
    max: 1000,
    doc: "Bans requested within this many milliseconds are applied in one firewall transaction. " +
      "Default 100. Larger batches cost less under a flood but delay each ban a little; a ban " +
      "still takes effect well within a second.",
  },
} as const satisfies Readonly<Record<string, KeySpec>>;

/** `[response]` as far as the ban code is concerned (standalone use and tests). */
export const RESPONSE_BAN_SECTION = {
  doc: "How pcap_ts responds to alerts: bans in the host firewall.",
  keys: BAN_RESPONSE_KEYS,
} as const satisfies SectionSpec;

/** Validated `[response]` values that the ban code reads. */
export type BanResponseConfig = SectionValues<typeof RESPONSE_BAN_SECTION>;

/** The settings of a {@link BanManager}, in seconds and milliseconds. */
export interface BanSettings {
  dryRun: boolean;
  allowlist: readonly string[];
  backend: "auto" | BackendName;
  banDurationsS: readonly number[];
  offenceMemoryS: number;
  maxBansPerMinute: number;
  ipv6PrefixAfter: number;
  stateFile: string;
  commitIntervalMs: number;
}

/**
 * Parses `ban_durations`; returns the seconds or a message naming the key and the bad entry.
 */
export function parseBanDurations(list: readonly string[]): number[] | string {
  if (list.length === 0) {
    return 'Cannot use "response.ban_durations" = []: expected at least one duration such as "10m"';
  }
  const out: number[] = [];
  for (const item of list) {
    const s = parseDuration(item);
    if (s === null || s < 1) {
      return `Cannot use "response.ban_durations" entry "${item}": expected a duration such as ` +
        '"10m" or "1h" (at least 1s)';
    }
    out.push(s);
  }
  return out;
}

/** Converts validated config values to settings; throws `Error` naming the key when invalid. */
export function banSettings(c: BanResponseConfig): BanSettings {
  const durations = parseBanDurations(c.ban_durations);
  if (typeof durations === "string") throw new Error(durations);
  return {
    dryRun: c.dry_run,
    allowlist: c.allowlist,
    backend: c.backend as BanSettings["backend"],
    banDurationsS: durations,
    offenceMemoryS: c.offence_memory,
    maxBansPerMinute: c.max_bans_per_minute,
    ipv6PrefixAfter: c.ipv6_prefix_after,
    stateFile: c.state_file,
    commitIntervalMs: c.commit_interval_ms,
  };
}
