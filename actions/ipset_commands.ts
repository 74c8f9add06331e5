/**
 * Pure builders of ipset restore text and iptables/ip6tables argv arrays for the fallback
 * backend (used when nftables is unavailable).
 *
 * Sets: `pcap_ts_ban4` (hash:ip, inet), `pcap_ts_ban6` (hash:ip, inet6), `pcap_ts_ban6net`
 * (hash:net, inet6: /64 bans), `pcap_ts_block4`, `pcap_ts_block6`; all `timeout 0` (per-entry
 * timeouts, none by default) with comments (the ban reason). Chains `pcap_ts_input` (jumped to
 * from INPUT) and `pcap_ts_output` (jumped to from OUTPUT) hold one `-m set` DROP rule per set.
 *
 * @module
 */

import type { BanKind, FirewallOp } from "./firewall.ts";

/** ipset names, with their type and family. */
export const IPSET_SETS = [
  { name: "pcap_ts_ban4", type: "hash:ip", family: "inet" },
  { name: "pcap_ts_ban6", type: "hash:ip", family: "inet6" },
  { name: "pcap_ts_ban6net", type: "hash:net", family: "inet6" },
  { name: "pcap_ts_block4", type: "hash:ip", family: "inet" },
  { name: "pcap_ts_block6", type: "hash:ip", family: "inet6" },
] as const;

/** The chains pcap_ts owns in the filter table. */
export const IPT_INPUT_CHAIN = "pcap_ts_input";
export const IPT_OUTPUT_CHAIN = "pcap_ts_output";

/** Which ipset an address (already canonical) goes into. */
export function ipsetFor(ip: string, kind: BanKind): string {
  const v6 = ip.includes(":");
  if (kind === "block") return v6 ? "pcap_ts_block6" : "pcap_ts_block4";
  if (!v6) return "pcap_ts_ban4";
  return ip.includes("/") ? "pcap_ts_ban6net" : "pcap_ts_ban6";
}

/** argv for `ipset restore` with `-exist` (create/add of what exists and del of what does not are not errors). */
export function ipsetRestoreArgv(ipset = "ipset"): string[] {
  return [ipset, "restore", "-exist"];
}

/** Restore text creating the sets (kept when they exist). */
export function ipsetSetupText(): string {
  return IPSET_SETS.map((s) => `create ${s.name} ${s.type} family ${s.family} timeout 0 comment\n`)
    .join("");
}

/** A reason made safe for an ipset comment: printable ASCII without quotes, ≤ 100 chars. */
export function ipsetComment(reason: string): string {
  return reason.replace(/[^\x20-\x7e]|["\\]/g, "_").slice(0, 100);
}

/** Restore text for queued operations; `add -exist` replaces the entry and so refreshes its timeout. */
export function ipsetOpsText(ops: readonly FirewallOp[]): string {
  return ops.map((op) => {
    const set = ipsetFor(op.ip, op.kind);
    if (op.op === "remove") return `del ${set} ${op.ip}\n`;
    const comment = op.reason === "" ? "" : ` comment "${ipsetComment(op.reason)}"`;
    return `add ${set} ${op.ip} timeout ${Math.max(0, Math.ceil(op.durationS))}${comment}\n`;
  }).join("");
}

/** argv printing one set's entries in restore format. */
export function ipsetSaveArgv(set: string, ipset = "ipset"): string[] {
  return [ipset, "save", set];
}

/** argv emptying one set. */
export function ipsetFlushArgv(set: string, ipset = "ipset"): string[] {
  return [ipset, "flush", set];
}

/** argv destroying one set (only after the rules using it are gone). */
export function ipsetDestroyArgv(set: string, ipset = "ipset"): string[] {
  return [ipset, "destroy", set];
}

/** One entry of `ipset save` output. */
export interface IpsetEntry {
  set: string;
  ip: string;
  /** Remaining seconds; null for entries without a timeout. */
  expiresS: number | null;
  comment: string | null;
}

/** Parses `ipset save` lines `add SET IP [timeout N] [comment "..."]`. */
export function parseIpsetSave(text: string): IpsetEntry[] {
  const out: IpsetEntry[] = [];
  for (const line of text.split("\n")) {
    const m = /^add (\S+) (\S+)(.*)$/.exec(line.trim());
    if (!m) continue;
    const rest = m[3]!;
    const t = / timeout (\d+)/.exec(rest);
    const c = / comment "([^"]*)"/.exec(rest);
    const timeout = t ? Number(t[1]) : 0;
    out.push({
      set: m[1]!,
      ip: m[2]!,
      expiresS: timeout > 0 ? timeout : null,
      comment: c ? c[1]! : null,
    });
  }
  return out;
}

/** One rule pcap_ts needs, for one binary (`iptables` or `ip6tables`). */
export interface IptRule {
  bin: "iptables" | "ip6tables";
  chain: string;
  spec: string[];
}

/** The rules in pcap_ts's own chains, and the jumps to them, per family. */
export function iptablesRules(): { chains: IptRule[]; rules: IptRule[]; jumps: IptRule[] } {
  const chains: IptRule[] = [];
  const rules: IptRule[] = [];
  const jumps: IptRule[] = [];
  for (const bin of ["iptables", "ip6tables"] as const) {
    chains.push({ bin, chain: IPT_INPUT_CHAIN, spec: [] }, {
      bin,
      chain: IPT_OUTPUT_CHAIN,
      spec: [],
    });
    const bans = bin === "iptables" ? ["pcap_ts_ban4"] : ["pcap_ts_ban6", "pcap_ts_ban6net"];
    for (const s of bans) {
      rules.push({
        bin,
        chain: IPT_INPUT_CHAIN,
        spec: ["-m", "set", "--match-set", s, "src", "-j", "DROP"],
      });
    }
    const block = bin === "iptables" ? "pcap_ts_block4" : "pcap_ts_block6";
    rules.push({
      bin,
      chain: IPT_OUTPUT_CHAIN,
      spec: ["-m", "set", "--match-set", block, "dst", "-j", "DROP"],
    });
    jumps.push({ bin, chain: "INPUT", spec: ["-j", IPT_INPUT_CHAIN] }, {
      bin,
      chain: "OUTPUT",
      spec: ["-j", IPT_OUTPUT_CHAIN],
    });
  }
  return { chains, rules, jumps };
}

/** `-w`: wait for the xtables lock instead of failing when another tool holds it. */
const WAIT = "-w";

/** argv that succeeds when the chain exists. */
export function iptListChainArgv(r: IptRule): string[] {
  return [r.bin, WAIT, "-t", "filter", "-S", r.chain];
}
/** argv creating a chain. */
export function iptNewChainArgv(r: IptRule): string[] {
  return [r.bin, WAIT, "-t", "filter", "-N", r.chain];
}
/** argv that succeeds when the rule exists (`-C`). */
export function iptCheckArgv(r: IptRule): string[] {
  return [r.bin, WAIT, "-t", "filter", "-C", r.chain, ...r.spec];
}
/** argv appending a rule to pcap_ts's own chain. */
export function iptAppendArgv(r: IptRule): string[] {
  return [r.bin, WAIT, "-t", "filter", "-A", r.chain, ...r.spec];
}
/** argv inserting a jump first in INPUT/OUTPUT, so bans act before any accept rule. */
export function iptInsertArgv(r: IptRule): string[] {
  return [r.bin, WAIT, "-t", "filter", "-I", r.chain, "1", ...r.spec];
}
/** argv deleting one rule. */
export function iptDeleteArgv(r: IptRule): string[] {
  return [r.bin, WAIT, "-t", "filter", "-D", r.chain, ...r.spec];
}
/** argv emptying, then removing, a chain of pcap_ts's own. */
export function iptFlushChainArgv(r: IptRule): string[] {
  return [r.bin, WAIT, "-t", "filter", "-F", r.chain];
}
export function iptDeleteChainArgv(r: IptRule): string[] {
  return [r.bin, WAIT, "-t", "filter", "-X", r.chain];
}
