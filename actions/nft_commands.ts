/**
 * Pure builders of nft command text for the `inet pcap_ts` table (DESIGN.md, Firewall).
 *
 * Layout: sets `ban4` (ipv4_addr) and `ban6` (ipv6_addr) with `flags timeout`; `ban6net`
 * (ipv6_addr, `flags interval, timeout`) holds IPv6 prefixes (/64 bans of repeat offenders).
 * It is a set of its own because an interval set refuses a single address that overlaps a
 * prefix already in it, and `ban6` stays exactly as DESIGN.md describes it. Chain `input`
 * (hook input, priority -10) drops sources in `ban4`/`ban6`/`ban6net`; chain `output` (hook
 * output, priority -10) drops destinations in `block4`/`block6`.
 *
 * @module
 */

import type { BanKind, FirewallOp } from "./firewall.ts";

/** The table every command acts on; pcap_ts never touches any other. */
export const NFT_TABLE = "inet pcap_ts";

/** The sets pcap_ts owns, in the order they are created. */
export const NFT_SETS = ["ban4", "ban6", "ban6net", "block4", "block6"] as const;
export type NftSetName = typeof NFT_SETS[number];

/** Which set an address (already canonical) goes into. */
export function nftSetFor(ip: string, kind: BanKind): NftSetName {
  const v6 = ip.includes(":");
  if (kind === "block") return v6 ? "block6" : "block4";
  if (!v6) return "ban4";
  return ip.includes("/") ? "ban6net" : "ban6";
}

/**
 * The idempotent setup batch (NOTES.md): `add` never fails on what exists, `flush chain`
 * then `add rule` leaves exactly one copy of each rule, existing set elements are kept.
 */
export function nftSetupBatch(): string {
  return [
    `add table ${NFT_TABLE}`,
    `add set ${NFT_TABLE} ban4 { type ipv4_addr; flags timeout; }`,
    `add set ${NFT_TABLE} ban6 { type ipv6_addr; flags timeout; }`,
    `add set ${NFT_TABLE} ban6net { type ipv6_addr; flags interval, timeout; }`,
    `add set ${NFT_TABLE} block4 { type ipv4_addr; flags timeout; }`,
    `add set ${NFT_TABLE} block6 { type ipv6_addr; flags timeout; }`,
    `add chain ${NFT_TABLE} input { type filter hook input priority -10; policy accept; }`,
    `add chain ${NFT_TABLE} output { type filter hook output priority -10; policy accept; }`,
    `flush chain ${NFT_TABLE} input`,
    `flush chain ${NFT_TABLE} output`,
    `add rule ${NFT_TABLE} input ip saddr @ban4 drop`,
    `add rule ${NFT_TABLE} input ip6 saddr @ban6 drop`,
    `add rule ${NFT_TABLE} input ip6 saddr @ban6net drop`,
    `add rule ${NFT_TABLE} output ip daddr @block4 drop`,
    `add rule ${NFT_TABLE} output ip6 daddr @block6 drop`,
    "",
  ].join("\n");
}

/** A reason made safe for an nft comment: printable ASCII, no quotes/backslashes, ≤ 100 chars. */
export function nftComment(reason: string): string {
  return reason.replace(/[^\x20-\x7e]|["\\]/g, "_").slice(0, 100);
}

/**
 * One batch (one transaction) for queued operations. An add is `add`, `delete`, `add`: the
 * first add makes sure the element exists, so the delete cannot fail the batch, and the
 * second add sets the new timeout even on kernels where re-adding does not refresh it. A
 * remove is `add` (with a 1 s timeout) then `delete`, for the same reason: removing an element
 * that is not there would otherwise fail the whole batch.
 */
export function nftOpsBatch(ops: readonly FirewallOp[]): string {
  const lines: string[] = [];
  for (const op of ops) {
    const set = `${NFT_TABLE} ${nftSetFor(op.ip, op.kind)}`;
    if (op.op === "add") {
      const timeout = op.durationS > 0 ? ` timeout ${Math.ceil(op.durationS)}s` : "";
      const comment = op.reason === "" ? "" : ` comment "${nftComment(op.reason)}"`;
      const elem = `add element ${set} { ${op.ip}${timeout}${comment} }`;
      lines.push(elem, `delete element ${set} { ${op.ip} }`, elem);
    } else {
      lines.push(
        `add element ${set} { ${op.ip} timeout 1s }`,
        `delete element ${set} { ${op.ip} }`,
      );
    }
  }
  lines.push("");
  return lines.join("\n");
}

/** Lists one set (run with JSON output). */
export function nftListSet(set: NftSetName): string {
  return `list set ${NFT_TABLE} ${set}\n`;
}

/** Lists the whole table (run with JSON output): all sets with their elements in one call. */
export function nftListTable(): string {
  return `list table ${NFT_TABLE}\n`;
}

/** Empties pcap_ts's own sets only. */
export function nftFlushSets(): string {
  return NFT_SETS.map((s) => `flush set ${NFT_TABLE} ${s}`).join("\n") + "\n";
}

/** Removes the table (and so its sets, chains and rules); `add` first so it cannot fail. */
export function nftDeleteTable(): string {
  return `add table ${NFT_TABLE}\ndelete table ${NFT_TABLE}\n`;
}

/** JSON of one element as `nft -j` prints it. */
type NftJsonElem =
  | string
  | { prefix: { addr: string; len: number } }
  | {
    elem: {
      val: string | { prefix: { addr: string; len: number } };
      timeout?: number;
      expires?: number;
      comment?: string;
    };
  };

/** One parsed element of a listing. */
export interface NftListedElement {
  set: string;
  ip: string;
  timeoutS: number | null;
  expiresS: number | null;
  comment: string | null;
}

/**
 * Parses `nft -j list set|table` output: elements with a timeout are objects
 * `{elem:{val,timeout,expires}}`, without one plain strings (NOTES.md); prefixes are
 * `{prefix:{addr,len}}`; an empty set has no `elem` key.
 */
export function parseNftJsonSets(json: string): NftListedElement[] {
  const out: NftListedElement[] = [];
  const doc = JSON.parse(json) as { nftables?: Record<string, unknown>[] };
  for (const item of doc.nftables ?? []) {
    const set = item["set"] as { name?: string; elem?: NftJsonElem[] } | undefined;
    if (set === undefined || set.name === undefined) continue;
    for (const e of set.elem ?? []) {
      const valText = (v: string | { prefix: { addr: string; len: number } }) =>
        typeof v === "string" ? v : `${v.prefix.addr}/${v.prefix.len}`;
      if (typeof e === "string" || "prefix" in e) {
        out.push({ set: set.name, ip: valText(e), timeoutS: null, expiresS: null, comment: null });
      } else {
        out.push({
          set: set.name,
          ip: valText(e.elem.val),
          timeoutS: e.elem.timeout ?? null,
          expiresS: e.elem.expires ?? null,
          comment: e.elem.comment ?? null,
        });
      }
    }
  }
  return out;
}
