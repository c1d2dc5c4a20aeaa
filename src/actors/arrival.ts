/**
 * The delay sample's stamp: one frame in `LATENCY_SAMPLE` gets its arrival time (`performance.now()`
 * ms) under the `ARRIVED` symbol on each of its decoded messages (socket.ts; the slot is part of
 * every message from its construction, src/io/view.ts, so stamping never changes its shape); the
 * subscription that calls a callback with a stamped message reports the delay (subscription.ts →
 * component → metrics.ts).
 * A module of its own so the hot-path files do not load the Prometheus client.
 */
export { ARRIVED } from '../io/view.js'; // a slot of every decoded message (src/io/view.ts)
/** One frame in this many is stamped (a power of two). */
export const LATENCY_SAMPLE = 64;
