/**
 * Robustness: every capture in ../shared/corpus (third-party captures, fuzzed and truncated
 * ones included) runs through `pcap_ts --read FILE --dump=json` with exit status 0 and no
 * uncaught exception. Runs the real command-line entry point in-process, one file after the
 * other, with console alert lines off.
 */

import assert from "node:assert/strict";
import { main } from "../main.ts";

const CORPUS = new URL("../../shared/corpus/", import.meta.url).pathname;
const CAPTURE = /\.(pcap|pcapng|cap|pcap\d*)$/i;

function captures(dir: string): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    const path = `${dir}${e.name}`;
    if (e.isDirectory) out.push(...captures(`${path}/`));
    else if (e.isFile && CAPTURE.test(e.name)) out.push(path);
  }
  return out.sort();
}

let files: string[] = [];
try {
  files = captures(CORPUS);
} catch {
  // Reported by the test below.
}

Deno.test({
  name: "pcap_ts --read exits 0 on every corpus capture, fuzzed and truncated ones included",
  ignore: files.length === 0,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = Deno.makeTempDirSync({ prefix: "pcap_ts_corpus_" });
    const config = `${dir}/quiet.toml`;
    Deno.writeTextFileSync(
      config,
      '[output]\nconsole = false\n[notify.desktop]\nenabled = false\n[response]\nstate_file = "' +
        `${dir}/state.json"\n`,
    );
    // The JSON dump exercises every decoded field of every frame; it goes to a file.
    const failures: string[] = [];
    const stdout = Deno.openSync(`${dir}/dump.jsonl`, { write: true, create: true });
    const realWrite = Deno.stdout.writeSync.bind(Deno.stdout);
    Deno.stdout.writeSync = (p: Uint8Array) => stdout.writeSync(p);
    try {
      for (const f of files) {
        let code: number;
        try {
          code = await main(["--read", f, "-c", config, "--dump=json", "--eve", `${dir}/eve.json`]);
        } catch (e) {
          failures.push(`${f}: uncaught ${(e as Error).stack ?? e}`);
          continue;
        }
        if (code !== 0) failures.push(`${f}: exit status ${code}`);
      }
    } finally {
      Deno.stdout.writeSync = realWrite;
      stdout.close();
    }
    assert.deepEqual(failures, []);
    const lines = Deno.readTextFileSync(`${dir}/dump.jsonl`).split("\n").filter((l) => l);
    for (const l of lines) JSON.parse(l);
    console.log(`${files.length} captures, ${lines.length} frames dumped as JSON`);
    assert.ok(files.length >= 200, `expected the whole corpus, found ${files.length} captures`);
    Deno.removeSync(dir, { recursive: true });
  },
});

Deno.test({
  name: "the corpus is where the tests expect it (../shared/corpus)",
  fn() {
    assert.ok(files.length > 0, `no captures found under ${CORPUS}`);
  },
});
