/**
 * libnftables through `Deno.dlopen`: run nft command text (one batch = one transaction) in
 * this process, without a child process per ban.
 *
 * The library acts in the network namespace of the calling process, like the `nft` command.
 *
 * @module
 */

/** `NFT_CTX_DEFAULT` from `<nftables/libnftables.h>`. */
const NFT_CTX_DEFAULT = 0;
/** `NFT_CTX_OUTPUT_JSON` (1 << 4): listings come back as JSON. */
export const NFT_CTX_OUTPUT_JSON = 1 << 4;

const SYMBOLS = {
  nft_ctx_new: { parameters: ["u32"], result: "pointer" },
  nft_ctx_free: { parameters: ["pointer"], result: "void" },
  nft_ctx_buffer_output: { parameters: ["pointer"], result: "i32" },
  nft_ctx_buffer_error: { parameters: ["pointer"], result: "i32" },
  nft_ctx_output_set_flags: { parameters: ["pointer", "u32"], result: "void" },
  nft_ctx_output_get_flags: { parameters: ["pointer"], result: "u32" },
  nft_run_cmd_from_buffer: { parameters: ["pointer", "buffer"], result: "i32" },
  nft_ctx_get_output_buffer: { parameters: ["pointer"], result: "pointer" },
  nft_ctx_get_error_buffer: { parameters: ["pointer"], result: "pointer" },
} as const;

/** The file name tried by {@link Libnftables.open} unless told otherwise. */
export const LIBNFTABLES_SONAME = "libnftables.so.1";

/** Result of one `nft_run_cmd_from_buffer` call. */
export interface NftRunResult {
  /** The call's return value was 0. */
  ok: boolean;
  /** Text that `nft` would print on stdout (JSON when asked for). */
  output: string;
  /** Text that `nft` would print on stderr (error messages with the failing line). */
  error: string;
}

/** Error raised when libnftables cannot be loaded or a context cannot be made. */
export class LibnftablesError extends Error {
  override name = "LibnftablesError";
}

/** One libnftables context with buffered output and error streams. Call `close()` when done. */
export class Libnftables {
  #lib: Deno.DynamicLibrary<typeof SYMBOLS>;
  #ctx: Deno.PointerObject;

  private constructor(lib: Deno.DynamicLibrary<typeof SYMBOLS>, ctx: Deno.PointerObject) {
    this.#lib = lib;
    this.#ctx = ctx;
  }

  /** Loads the library and makes a context; throws {@link LibnftablesError} when it cannot. */
  static open(path: string = LIBNFTABLES_SONAME): Libnftables {
    let lib: Deno.DynamicLibrary<typeof SYMBOLS>;
    try {
      lib = Deno.dlopen(path, SYMBOLS);
    } catch (e) {
      throw new LibnftablesError(
        `Cannot load ${path}: ${(e as Error).message}; install libnftables1 or use the nft command`,
        { cause: e },
      );
    }
    const ctx = lib.symbols.nft_ctx_new(NFT_CTX_DEFAULT);
    if (ctx === null) {
      lib.close();
      throw new LibnftablesError("nft_ctx_new() returned NULL");
    }
    if (
      lib.symbols.nft_ctx_buffer_output(ctx) !== 0 || lib.symbols.nft_ctx_buffer_error(ctx) !== 0
    ) {
      lib.symbols.nft_ctx_free(ctx);
      lib.close();
      throw new LibnftablesError("nft_ctx_buffer_output/error() failed");
    }
    return new Libnftables(lib, ctx);
  }

  /**
   * Runs nft command text (several lines form one transaction). With `json`, listings are
   * JSON. Never throws for nft errors: they come back in `error` with `ok: false`.
   */
  run(commands: string, opts: { json?: boolean } = {}): NftRunResult {
    const s = this.#lib.symbols;
    s.nft_ctx_output_set_flags(this.#ctx, opts.json ? NFT_CTX_OUTPUT_JSON : 0);
    const rc = s.nft_run_cmd_from_buffer(this.#ctx, new TextEncoder().encode(commands + "\0"));
    return {
      ok: rc === 0,
      output: this.#read(s.nft_ctx_get_output_buffer(this.#ctx)),
      error: this.#read(s.nft_ctx_get_error_buffer(this.#ctx)),
    };
  }

  #read(p: Deno.PointerValue): string {
    return p === null ? "" : Deno.UnsafePointerView.getCString(p);
  }

  /** Frees the context and unloads the library. */
  close(): void {
    this.#lib.symbols.nft_ctx_free(this.#ctx);
    this.#lib.close();
  }
}
