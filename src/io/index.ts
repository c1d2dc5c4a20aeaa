/** The edges: codec, field table, errors. Pure functions, no actors. */
export * from './fields.js';
export * from './errors.js';
export { decodeFrame, decodeFrameInto, decodeOwnedInto, frameText, LazyView } from './decode.js';
export { decimalAt, toDecimal, Decimal } from './decimal.js';
export { encodeEvent, encodeBatch } from './encode.js';
export * from './subscription.js';
export * from './jwt.js';
export * from './transport.js';
export * from './limiter.js';
export * from './rest-fields.js';
export { decodeRestList } from './rest-decode.js';
export type { RestDecodeOptions } from './rest-decode.js';
export * from './rest.js';
