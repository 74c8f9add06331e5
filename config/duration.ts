/**
 * Durations in the config file: `"90s"`, `"10m"`, `"1h"`, `"7d"`, `"1h30m"`, `"250ms"`, or a
 * plain number of seconds. Held as seconds.
 *
 * @module
 */

const UNIT_SECONDS: Readonly<Record<string, number>> = {
  ms: 0.001,
  s: 1,
  m: 60,
  h: 3600,
  d: 86400,
};

const WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;

/**
 * Parses a duration written as text (`"1h30m"`) or a number of seconds (`90`).
 * Returns seconds, or null when the value is not a duration.
 *
 * @example
 * ```ts
 * import { parseDuration } from "./duration.ts";
 * console.assert(parseDuration("1h30m") === 5400);
 * console.assert(parseDuration("ten minutes") === null);
 * ```
 */
export function parseDuration(value: unknown): number | null {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? value : null;
  if (typeof value !== "string") return null;
  const text = value.trim();
  if (/^\d+(?:\.\d+)?$/.test(text)) return Number(text);
  if (!WHOLE.test(text)) return null;
  let total = 0;
  for (const m of text.matchAll(PART)) total += Number(m[1]) * UNIT_SECONDS[m[2]!]!;
  return Math.round(total * 1000) / 1000;
}

/**
 * Writes seconds as the shortest duration text (`5400` → `"1h30m"`, `0.25` → `"250ms"`).
 *
 * @example
 * ```ts
 * import { formatDuration } from "./duration.ts";
 * console.assert(formatDuration(90) === "1m30s");
 * ```
 */
export function formatDuration(seconds: number): string {
  if (seconds === 0) return "0s";
  let ms = Math.round(seconds * 1000);
  let out = "";
  for (
    const [unit, size] of [["d", 86400000], ["h", 3600000], ["m", 60000], ["s", 1000]] as const
  ) {
    if (ms >= size) {
      out += `${Math.floor(ms / size)}${unit}`;
      ms %= size;
    }
  }
  if (ms > 0) out += `${ms}ms`;
  return out;
}
