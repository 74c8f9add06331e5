/**
 * Finds the line of each table header and key in a TOML text, so that validation errors can
 * name it. smol-toml gives values without positions; this scan is approximate for exotic
 * layouts (keys inside multi-line inline tables) and then falls back to the table's line.
 *
 * Paths: `capture` for `[capture]`, `capture.snaplen` for a key in it, `response.rule[0]` for the
 * first `[[response.rule]]` and `response.rule[0].action` for a key of that entry.
 *
 * @module
 */

function stripComment(line: string): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "#") return line.slice(0, i);
  }
  return line;
}

function splitKey(text: string): string[] {
  const out: string[] = [];
  const re = /\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*(?:\.|$)/y;
  let m: RegExpExecArray | null;
  while (re.lastIndex < text.length && (m = re.exec(text)) !== null) {
    out.push(m[1] ?? m[2] ?? m[3] ?? "");
  }
  return out;
}

/** Maps dotted paths (see module doc) to 1-based line numbers. */
export function locateLines(text: string): Map<string, number> {
  const lines = new Map<string, number>();
  const arrayCounts = new Map<string, number>();
  let table = "";
  let inMultiline: string | null = null;
  const src = text.split(/\r?\n/);
  for (let i = 0; i < src.length; i++) {
    const raw = src[i]!;
    const lineNo = i + 1;
    if (inMultiline) {
      if (raw.includes(inMultiline)) inMultiline = null;
      continue;
    }
    const line = stripComment(raw).trim();
    if (line === "") continue;
    let m = /^\[\[(.+)\]\]$/.exec(line);
    if (m) {
      const name = splitKey(m[1]!).join(".");
      const n = arrayCounts.get(name) ?? 0;
      arrayCounts.set(name, n + 1);
      table = `${name}[${n}]`;
      if (!lines.has(name)) lines.set(name, lineNo);
      lines.set(table, lineNo);
      continue;
    }
    m = /^\[(.+)\]$/.exec(line);
    if (m) {
      table = splitKey(m[1]!).join(".");
      if (!lines.has(table)) lines.set(table, lineNo);
      continue;
    }
    m = /^((?:"(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_.\s-])+?)\s*=(.*)$/.exec(line);
    if (m) {
      const key = splitKey(m[1]!).join(".");
      const path = table === "" ? key : `${table}.${key}`;
      if (!lines.has(path)) lines.set(path, lineNo);
      for (const q of ['"""', "'''"]) {
        const count = m[2]!.split(q).length - 1;
        if (count % 2 === 1) inMultiline = q;
      }
    }
  }
  return lines;
}
