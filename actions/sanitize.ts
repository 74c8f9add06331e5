/**
 * Sanitising of text that came from packets (hostnames, URIs, user agents, signatures built
 * from them) before it reaches a human: a terminal, a desktop notification, an email subject,
 * a syslog line or a chat message.
 *
 * Written here because `actions/console.ts` did not export `sanitizeText` when the notifiers
 * were built; the integrator may point one at the other (same signature).
 *
 * @module
 */

/**
 * Terminal escape sequences: CSI (`ESC [ … final`), OSC (`ESC ] … BEL|ESC \`), DCS/SOS/PM/APC
 * strings (`ESC P|X|^|_ … ESC \`), and two-byte escapes (`ESC x`). The 8-bit CSI (U+009B) with its
 * parameters too.
 */
const ESCAPE_SEQUENCE =
  // deno-lint-ignore no-control-regex
  /\u009b[0-?]*[ -/]*[@-~]?|\x1b(?:\[[0-?]*[ -/]*[@-~]?|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[PX^_][^\x1b]*(?:\x1b\\)?|[\s\S]?)/g;

/** Line breaks and tabs become one space, so a value can never start a forged line. */
const LINE_BREAK = /[\r\n\t\v\f\u0085\u2028\u2029]+/g;

/**
 * Everything else that is not printable: C0 and C1 controls, DEL, bidirectional overrides and
 * isolates (which can make text read differently from what it is), zero-width joiners, BOM,
 * and lone surrogates.
 */
const UNPRINTABLE =
  // deno-lint-ignore no-control-regex
  /[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** The mark appended when text was cut to its maximum length. */
export const ELLIPSIS = "…";

/**
 * Makes untrusted text safe to show: removes terminal escape sequences and control
 * characters, turns line breaks into spaces, and caps the length at `max` code points
 * (including the `…` that marks a cut).
 *
 * @example
 * ```ts
 * const shown = sanitizeText("\x1b[31mred\x1b[0m\x07 ok\r\nnext", 100);
 * if (shown !== "red ok next") throw new Error(shown);
 * ```
 */
export function sanitizeText(s: string, max: number): string {
  if (max <= 0) return "";
  // Bound the work on huge input: far more than `max` can never survive the cap.
  if (s.length > max * 8 + 64) s = s.slice(0, max * 8 + 64);
  const clean = s.replace(ESCAPE_SEQUENCE, "").replace(LINE_BREAK, " ").replace(UNPRINTABLE, "");
  // Count code points, not UTF-16 units, so a cut never splits a surrogate pair.
  const points = Array.from(clean);
  if (points.length <= max) return clean;
  return points.slice(0, max - 1).join("") + ELLIPSIS;
}
