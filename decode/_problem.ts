/**
 * Helpers that record the first {@link DecodeProblem} of a frame. Private to `decode/`.
 *
 * @module
 */
import type { Packet } from "./packet.ts";

/** Records a `truncated` problem (the first problem of a frame wins). */
export function setTruncated(
  pkt: Packet,
  layer: string,
  required: number,
  available: number,
  at: number,
): void {
  if (pkt.problem !== null) return;
  pkt.problem = { kind: "truncated", layer, required, available, offset: at - pkt.offset };
}

/** Records an `invalid` problem (the first problem of a frame wins). */
export function setInvalid(
  pkt: Packet,
  layer: string,
  field: string,
  value: number,
  at: number,
): void {
  if (pkt.problem !== null) return;
  pkt.problem = { kind: "invalid", layer, field, value, offset: at - pkt.offset };
}
