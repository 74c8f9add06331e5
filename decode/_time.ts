/**
 * Capture-time text for the dumps. Private to `decode/`.
 *
 * @module
 */

/** Largest |ms| a JavaScript Date accepts. */
const MAX_DATE_MS = 8.64e15;

/** `YYYY-MM-DDTHH:MM:SS` (UTC) of whole seconds, or null when out of Date's range. */
function isoSeconds(tsSec: number): string | null {
  const ms = tsSec * 1000;
  if (!Number.isFinite(ms) || Math.abs(ms) > MAX_DATE_MS) return null;
  return new Date(Math.floor(tsSec) * 1000).toISOString().slice(0, 19);
}

function micros(tsNsec: number): string {
  const us = Number.isFinite(tsNsec) ? Math.floor(tsNsec / 1000) : 0;
  return String(us < 0 ? 0 : us > 999999 ? 999999 : us).padStart(6, "0");
}

/** `2019-09-28T03:53:52.104000Z`: UTC, microseconds taken from the nanoseconds. */
export function isoTimestamp(tsSec: number, tsNsec: number): string {
  const s = isoSeconds(tsSec);
  return s === null ? `${tsSec}.${micros(tsNsec)}` : `${s}.${micros(tsNsec)}Z`;
}

/** `2019-09-28 03:53:52.104000` (UTC, as `tcpdump -tttt` prints local time). */
export function textTimestamp(tsSec: number, tsNsec: number): string {
  const s = isoSeconds(tsSec);
  return s === null ? `${tsSec}.${micros(tsNsec)}` : `${s.replace("T", " ")}.${micros(tsNsec)}`;
}
