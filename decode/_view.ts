/**
 * A `DataView` over a frame buffer, so that decoders read a 16- or 32-bit big-endian field
 * with one load and one bounds check instead of one per byte. Private to `decode/`.
 *
 * @module
 */

let cachedBuf: Uint8Array = new Uint8Array(0);
let cachedView: DataView = new DataView(cachedBuf.buffer);

/**
 * A `DataView` with the same byte indexes as `buf` (`view.getUint16(i)` reads `buf[i]` and
 * `buf[i + 1]`). Sources hand every frame in one reused buffer, so the view is made once per
 * buffer, not per frame. Reads past `buf.length` throw: callers read only bytes they have
 * checked to lie before `end`, and `end` never exceeds `buf.length`.
 */
export function viewOf(buf: Uint8Array): DataView {
  if (buf !== cachedBuf) {
    cachedView = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    cachedBuf = buf;
  }
  return cachedView;
}
