/**
 * upbit-ws public API. Everything a user imports comes from here (and `upbit-ws/mock`).
 */
export * from './io/index.js';
