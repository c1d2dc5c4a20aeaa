/**
 * The scratch memory of the decoder: one fixed WebAssembly memory (never grown, so the typed arrays
 * over it stay valid). A frame is copied to address 0 for the template matchers (wasm.ts) by
 * `loadFrame`, followed by a 0 byte that no pattern accepts; the span scratch of view.ts (`SLOTS`,
 * `ENDS`) lives at its end, where the matchers write the value spans. Without WebAssembly
 * (`--jitless`) the scratch is plain typed arrays and the regexes do the matching.
 */
const PAGE = 65536;
export const PAGES = 17;
/** Where the span scratch starts: `SLOTS` (1024 × i32), then `ENDS` (1024 × i32). */
export const SCRATCH = PAGES * PAGE - 8192;
/** The largest frame the matchers read: the rest of the memory, less room for the sentinel and 8-byte loads. */
export const FRAME_CAPACITY = SCRATCH - 16;

/** The part of the WebAssembly API the decoder uses (declared here: the project's lib has no DOM types). */
export interface WasmApi {
  Memory: new (limits: { initial: number; maximum: number }) => { readonly buffer: ArrayBuffer };
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
}
/** WebAssembly, where the runtime has it. */
export const WASM = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

function makeMemory(): { readonly buffer: ArrayBuffer } | undefined {
  try {
    return WASM === undefined ? undefined : new WASM.Memory({ initial: PAGES, maximum: PAGES });
  } catch {
    return undefined; // no WebAssembly (--jitless): the regexes do the work
  }
}
/** The matchers' memory, or undefined where WebAssembly is not available. */
export const MEMORY = makeMemory();
const BYTES = MEMORY === undefined ? new Uint8Array(0) : new Uint8Array(MEMORY.buffer, 0, SCRATCH);

/**
 * Copy `frame` to address 0 for the matchers, followed by a 0 byte, which no pattern accepts: a
 * matcher stops at the frame's end instead of reading what an earlier, longer frame left there.
 * False when the frame does not fit.
 */
export function loadFrame(frame: Uint8Array): boolean {
  const n = frame.length;
  if (n > FRAME_CAPACITY || MEMORY === undefined) return false;
  BYTES.set(frame, 0);
  BYTES[n] = 0;
  return true;
}

/**
 * The list rows' part of the span scratch, for matchers that write the spans of list elements
 * (wasm.ts): a top-level object's rows take `SLOTS[0, rows)`; the elements of its list rows follow,
 * one after the other, in `[rows, ELEMENT_LIMIT)`; an element that would not fit is written to the
 * dead zone `[ELEMENT_LIMIT, ELEMENT_LIMIT + ELEMENT_ROWS)` instead (the reader then sees that it did
 * not fit and reads the object's text); `SLOTS[LIST_COUNT - row]` holds list row `row`'s element
 * count (-1 for `null`). Plans with more than LIST_ROWS rows, or elements of more than ELEMENT_ROWS
 * rows, keep the JS spans pass.
 */
export const LIST_ROWS = 64;
export const ELEMENT_ROWS = 32;
export const LIST_COUNT = 1023;
export const ELEMENT_LIMIT = 1024 - LIST_ROWS - ELEMENT_ROWS;

/** Value starts by row (view.ts `SLOTS`). */
export const SLOT_SCRATCH = MEMORY === undefined ? new Int32Array(1024) : new Int32Array(MEMORY.buffer, SCRATCH, 1024);
/** Value ends by row (view.ts `ENDS`). */
export const END_SCRATCH = MEMORY === undefined ? new Int32Array(1024) : new Int32Array(MEMORY.buffer, SCRATCH + 4096, 1024);
