/**
 * A `DataView` over a frame buffer, so that decoders read a 16- or 32-bit big-endian field
 * with one load and one bounds check instead of one per byte. Private to `decode/`.
 *
 * @module
 */

/** The last buffer seen and its view, in one constant object (no per-call binding checks). */
const cache: { buf: Uint8Array; view: DataView } = {
  buf: new Uint8Array(0),
  view: new DataView(new ArrayBuffer(0)),
};

/**
 * A `DataView` with the same byte indexes as `buf` (`view.getUint16(i)` reads `buf[i]` and
 * `buf[i + 1]`). Sources hand every frame in one reused buffer, so the view is made once per
 * buffer, not per frame. Reads past `buf.length` throw: callers read only bytes they have
 * checked to lie before `end`, and `end` never exceeds `buf.length`.
 */
export function viewOf(buf: Uint8Array): DataView {
  if (buf !== cache.buf) {
    cache.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    cache.buf = buf;
  }
  return cache.view;
}
