/**
 * The one place that runs firewall commands: an argv array (never a shell string) with
 * optional stdin text. Command lines themselves are built by pure functions elsewhere.
 *
 * @module
 */

/** Outcome of one command. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs argv, feeding `stdin` when given. Throws only when the program cannot be started. */
export type CommandRunner = (argv: readonly string[], stdin?: string) => Promise<CommandResult>;

/** The real runner (`Deno.Command`). */
export const runCommand: CommandRunner = async (argv, stdin) => {
  const [cmd, ...args] = argv;
  if (cmd === undefined) throw new Error("runCommand() needs a command");
  const child = new Deno.Command(cmd, {
    args,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
};
