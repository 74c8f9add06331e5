/**
 * What must never be banned, and the cap on new bans per minute. Refusals are values with a
 * reason, never throws.
 *
 * Never banned: loopback, unspecified, link-local, multicast and broadcast addresses; this
 * host's own addresses (`Deno.networkInterfaces()`); its gateways (`/proc/net/route`,
 * `/proc/net/ipv6_route`); its DNS resolvers (`/etc/resolv.conf`); and `response.allowlist`.
 * A prefix (IPv6 /64) is refused when it contains any of these.
 *
 * @module
 */

import {
  type Cidr,
  cidrOverlaps,
  formatCidr,
  parseCidr,
  parseCidrLoose,
  unmapIpv4,
} from "./safety_ip.ts";

/** Why a ban was refused. */
export type RefusalReason =
  | "invalid address"
  | "loopback"
  | "unspecified"
  | "link-local"
  | "multicast"
  | "broadcast"
  | "own address"
  | "gateway"
  | "dns resolver"
  | "allowlist"
  | "rate cap";

/** A refusal: the reason and a sentence for the log. */
export interface Refusal {
  reason: RefusalReason;
  detail: string;
}

const SPECIAL: readonly [RefusalReason, string][] = [
  ["loopback", "127.0.0.0/8"],
  ["loopback", "::1/128"],
  ["unspecified", "0.0.0.0/8"],
  ["unspecified", "::/128"],
  ["link-local", "169.254.0.0/16"],
  ["link-local", "fe80::/10"],
  ["multicast", "224.0.0.0/4"],
  ["multicast", "ff00::/8"],
  ["broadcast", "255.255.255.255/32"],
];

/** Parses `/proc/net/route`: the gateways (little-endian hex), skipping 0.0.0.0. */
export function parseProcRoute(text: string): string[] {
  const out = new Set<string>();
  for (const line of text.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    const gw = f[2];
    if (gw === undefined || !/^[0-9A-Fa-f]{8}$/.test(gw) || /^0+$/.test(gw)) continue;
    const n = parseInt(gw, 16);
    out.add([n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24].join("."));
  }
  return [...out];
}

/** Parses `/proc/net/ipv6_route`: the next hops (field 5), skipping `::`. */
export function parseProcIpv6Route(text: string): string[] {
  const out = new Set<string>();
  for (const line of text.split("\n")) {
    const hop = line.trim().split(/\s+/)[4];
    if (hop === undefined || !/^[0-9a-f]{32}$/.test(hop) || /^0+$/.test(hop)) continue;
    const c = parseCidr(hop.match(/.{4}/g)!.join(":"));
    if (c) out.add(formatCidr(c));
  }
  return [...out];
}

/** Parses `nameserver` lines of resolv.conf (zone ids dropped). */
export function parseResolvConf(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const m = /^\s*nameserver\s+([0-9A-Fa-f:.]+)/.exec(line);
    if (m && parseCidr(m[1]!)) out.push(formatCidr(parseCidr(m[1]!)!));
  }
  return out;
}

/** Where the protected host addresses come from; each list is optional (tests pass their own). */
export interface HostAddresses {
  own: readonly string[];
  gateways: readonly string[];
  dns: readonly string[];
}

async function readOr(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    // Deno refuses /proc/net/* (a link to /proc/self/net) to anything short of --allow-all,
    // so under the permissions of `deno task start` the gateways were silently missed. A
    // child `cat` reads the same file in the same network namespace.
    try {
      const out = await new Deno.Command("cat", { args: [path], stdout: "piped", stderr: "null" })
        .output();
      return out.success ? new TextDecoder().decode(out.stdout) : "";
    } catch {
      return "";
    }
  }
}

/**
 * This host's own addresses (every interface, IPv6 zone removed, no repeats). Without
 * --allow-sys the list is empty; loopback and link-local are still refused by the guard.
 */
export function ownAddresses(): string[] {
  try {
    return [...new Set(Deno.networkInterfaces().map((i) => i.address.replace(/%.*$/, "")))];
  } catch {
    return [];
  }
}

/** Reads this host's own addresses, gateways and DNS resolvers. Missing sources give []. */
export async function readHostAddresses(): Promise<HostAddresses> {
  const own = ownAddresses();
  const gateways = [
    ...parseProcRoute(await readOr("/proc/net/route")),
    ...parseProcIpv6Route(await readOr("/proc/net/ipv6_route")),
  ];
  const dns = parseResolvConf(await readOr("/etc/resolv.conf"));
  return { own, gateways, dns };
}

interface Protected {
  reason: RefusalReason;
  cidr: Cidr;
  text: string;
  special: boolean;
}

/** Decides whether an address or prefix may be banned, and caps new bans per minute. */
export class SafetyGuard {
  #protected: Protected[] = [];
  #allow: { cidr: Cidr; text: string }[] = [];
  #recent: number[] = [];
  #maxPerMinute: number;
  /** Refusals by reason since start. */
  readonly refusals = new Map<RefusalReason, number>();

  constructor(
    opts: { allowlist?: readonly string[]; host?: HostAddresses; maxBansPerMinute?: number } = {},
  ) {
    this.#maxPerMinute = opts.maxBansPerMinute ?? 30;
    for (const a of opts.allowlist ?? []) {
      const c = parseCidrLoose(a.trim());
      if (c === null) {
        throw new Error(
          `Cannot use "response.allowlist" entry "${a}": expected an IP address or CIDR block`,
        );
      }
      this.#allow.push({ cidr: unmapIpv4(c), text: a });
    }
    this.setHost(opts.host ?? { own: [], gateways: [], dns: [] });
  }

  /** Replaces the host addresses (call again when interfaces or routes change). */
  setHost(host: HostAddresses): void {
    const list: Protected[] = [];
    for (const [reason, text] of SPECIAL) {
      list.push({ reason, cidr: parseCidr(text)!, text, special: true });
    }
    const add = (reason: RefusalReason, items: readonly string[]) => {
      for (const text of items) {
        const c = parseCidr(text);
        if (c) list.push({ reason, cidr: unmapIpv4(c), text, special: false });
      }
    };
    add("own address", host.own);
    add("gateway", host.gateways);
    add("dns resolver", host.dns);
    this.#protected = list;
  }

  /** Null when the address or prefix may be banned, else why not. Does not count toward the cap. */
  check(target: string): Refusal | null {
    const parsed = parseCidr(target);
    if (parsed === null) {
      return { reason: "invalid address", detail: `"${target}" is not an IP address or prefix` };
    }
    const c = unmapIpv4(parsed);
    const shown = formatCidr(c);
    for (const p of this.#protected) {
      if (!cidrOverlaps(p.cidr, c)) continue;
      const what = p.special ? `a ${p.reason} address` : `this host's ${p.reason} ${p.text}`;
      return { reason: p.reason, detail: `${shown} is or contains ${what}` };
    }
    for (const a of this.#allow) {
      if (cidrOverlaps(a.cidr, c)) {
        return { reason: "allowlist", detail: `${shown} is in response.allowlist (${a.text})` };
      }
    }
    return null;
  }

  /**
   * Takes one slot of the per-minute cap at time `nowS` (seconds); a refusal when the cap is
   * reached. Call only for bans that passed {@link check}.
   */
  takeSlot(nowS: number): Refusal | null {
    while (this.#recent.length > 0 && this.#recent[0]! <= nowS - 60) this.#recent.shift();
    if (this.#recent.length >= this.#maxPerMinute) {
      return {
        reason: "rate cap",
        detail:
          `already ${this.#recent.length} new bans in the last minute (response.max_bans_per_minute = ${this.#maxPerMinute})`,
      };
    }
    this.#recent.push(nowS);
    return null;
  }

  /** Counts a refusal (for stats and the log). */
  count(r: Refusal): void {
    this.refusals.set(r.reason, (this.refusals.get(r.reason) ?? 0) + 1);
  }
}
