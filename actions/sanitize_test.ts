import assert from "node:assert/strict";
import fc from "fast-check";
import { ELLIPSIS, sanitizeText } from "./sanitize.ts";

Deno.test("sanitizeText() removes CSI colour sequences and BEL", () => {
  assert.equal(sanitizeText("\x1b[31mred\x1b[0m\x07!", 100), "red!");
  assert.equal(sanitizeText("a\x1b[1;32;40mb\x1b[2Kc", 100), "abc");
});

Deno.test("sanitizeText() removes OSC title and hyperlink sequences", () => {
  assert.equal(sanitizeText("x\x1b]0;pwned title\x07y", 100), "xy");
  assert.equal(
    sanitizeText("\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\", 100),
    "click",
  );
});

Deno.test("sanitizeText() turns CR LF and tabs into one space", () => {
  assert.equal(sanitizeText("GET / HTTP/1.1\r\nHost: a\r\n\r\n", 100), "GET / HTTP/1.1 Host: a ");
  assert.equal(sanitizeText("a\tb\u2028c", 100), "a b c");
});

Deno.test("sanitizeText() removes other controls, 8-bit CSI, bidi overrides, NUL", () => {
  assert.equal(sanitizeText("a\x00b\x7fc\x9b31md\u202eevil\u2066", 100), "abcdevil");
  assert.equal(sanitizeText("\x1bc reset", 100), " reset");
});

Deno.test("sanitizeText() keeps ordinary Unicode", () => {
  assert.equal(sanitizeText("Grüße 日本 🙂 ok", 100), "Grüße 日本 🙂 ok");
});

Deno.test("sanitizeText() caps very long input at max code points with an ellipsis", () => {
  const long = "A".repeat(100_000);
  const out = sanitizeText(long, 50);
  assert.equal(out, "A".repeat(49) + ELLIPSIS);
  assert.equal(Array.from(out).length, 50);
  // A surrogate pair is never cut in half.
  const emoji = sanitizeText("🙂".repeat(10), 5);
  assert.equal(emoji, "🙂🙂🙂🙂" + ELLIPSIS);
  assert.equal(sanitizeText("abc", 3), "abc");
  assert.equal(sanitizeText("abc", 0), "");
});

Deno.test("sanitizeText() leaves no control character for any input", () => {
  let s = "";
  for (let c = 0; c < 0x300; c++) s += String.fromCharCode(c);
  // deno-lint-ignore no-control-regex
  assert.equal(/[\x00-\x1f\x7f-\x9f]/.test(sanitizeText(s + s, 10_000)), false);
  assert.equal(/[\ud800-\udfff]/.test(sanitizeText("a\ud800b\udc00c", 100)), false);
});

Deno.test("sanitizeText() property: no controls, at most max code points, idempotent", () => {
  fc.assert(
    fc.property(
      fc.string({ unit: "binary", maxLength: 400 }),
      fc.integer({ min: 1, max: 120 }),
      (s, max) => {
        const out = sanitizeText(s, max);
        assert.ok(Array.from(out).length <= max);
        for (const ch of out) {
          const c = ch.codePointAt(0)!;
          assert.ok(!(c < 0x20 || (c >= 0x7f && c <= 0x9f)), `control U+${c.toString(16)}`);
        }
        // Cleaning clean text changes nothing (when it was not cut).
        if (!out.endsWith(ELLIPSIS)) assert.equal(sanitizeText(out, max), out);
      },
    ),
    { numRuns: 2000 },
  );
});
