/**
 * Static market data: the built-in market list with plausible prices and names, and the tick-size
 * rules that keep every simulated price on Upbit's price grid.
 *
 * How to read this file: `DEFAULT_MARKETS` is the list served by `/v1/market/all` and streamed by
 * the simulator unless `markets` is given; `tickSize` / `nextUp` / `nextDown` are the price grid;
 * `supportedLevels` is what `level` (orderbook aggregation) accepts per market.
 */
import { D, fromSats, toSats } from './num.js';
import type { Dec } from './num.js';

export interface MarketSpec {
  /** `QUOTE-BASE`, upper case, e.g. `KRW-BTC`. */
  readonly code: string;
  /** Starting price (snapped to the tick grid). */
  readonly price: string | number;
  readonly koreanName?: string;
  readonly englishName?: string;
}

/** Prices are late-2025 ballpark figures; only their order of magnitude matters. */
export const DEFAULT_MARKETS: readonly MarketSpec[] = [
  { code: 'KRW-BTC', price: '135000000', koreanName: '비트코인', englishName: 'Bitcoin' },
  { code: 'KRW-ETH', price: '4800000', koreanName: '이더리움', englishName: 'Ethereum' },
  { code: 'KRW-XRP', price: '3100', koreanName: '엑스알피(리플)', englishName: 'XRP' },
  { code: 'KRW-SOL', price: '250000', koreanName: '솔라나', englishName: 'Solana' },
  { code: 'KRW-DOGE', price: '330', koreanName: '도지코인', englishName: 'Dogecoin' },
  { code: 'KRW-ADA', price: '1100', koreanName: '에이다', englishName: 'Cardano' },
  { code: 'KRW-TRX', price: '450', koreanName: '트론', englishName: 'TRON' },
  { code: 'KRW-LINK', price: '30000', koreanName: '체인링크', englishName: 'Chainlink' },
  { code: 'KRW-AVAX', price: '35000', koreanName: '아발란체', englishName: 'Avalanche' },
  { code: 'KRW-DOT', price: '6000', koreanName: '폴카닷', englishName: 'Polkadot' },
  { code: 'KRW-SHIB', price: '0.019', koreanName: '시바이누', englishName: 'Shiba Inu' },
  { code: 'KRW-USDT', price: '1400', koreanName: '테더', englishName: 'Tether' },
  { code: 'BTC-ETH', price: '0.0355', koreanName: '이더리움', englishName: 'Ethereum' },
  { code: 'BTC-XRP', price: '0.0000229', koreanName: '엑스알피(리플)', englishName: 'XRP' },
  { code: 'BTC-SOL', price: '0.00185', koreanName: '솔라나', englishName: 'Solana' },
  { code: 'USDT-BTC', price: '96000', koreanName: '비트코인', englishName: 'Bitcoin' },
  { code: 'USDT-ETH', price: '3400', koreanName: '이더리움', englishName: 'Ethereum' },
  { code: 'USDT-XRP', price: '2.2', koreanName: '엑스알피(리플)', englishName: 'XRP' },
];

export function quoteOf(code: string): string {
  return code.slice(0, code.indexOf('-'));
}
export function baseOf(code: string): string {
  return code.slice(code.indexOf('-') + 1);
}

/**
 * Prices on the grid are kept as integer units of 10^-8 ("sats", bigint): exact, and cheap to
 * compare and add, unlike Decimal operations that copy their argument. `[lower bound, tick]` rows,
 * highest first. KRW: Upbit's KRW-market tick table (2023-10 revision).
 */
type Bands = readonly (readonly [bigint, bigint])[];
const bands = (rows: readonly (readonly [string, string])[]): Bands =>
  rows.map(([lo, t]) => [toSats(new D(lo)), toSats(new D(t))] as const);

const KRW_TICKS = bands([
  ['2000000', '1000'],
  ['1000000', '500'],
  ['500000', '100'],
  ['100000', '50'],
  ['10000', '10'],
  ['1000', '1'],
  ['100', '0.1'],
  ['10', '0.01'],
  ['1', '0.001'],
  ['0.1', '0.0001'],
  ['0.01', '0.00001'],
  ['0.001', '0.000001'],
  ['0.0001', '0.0000001'],
  ['0', '0.00000001'],
]);

/** USDT market: an approximation of Upbit's USDT grid (plausible, not authoritative). */
const USDT_TICKS = bands([
  ['10000', '1'],
  ['1000', '0.1'],
  ['100', '0.01'],
  ['10', '0.001'],
  ['1', '0.0001'],
  ['0', '0.00000001'],
]);

/** The tick (sats) for prices (sats) in the band that contains `price`. BTC markets: 1 satoshi. */
export function tickSats(quote: string, price: bigint): bigint {
  if (quote === 'BTC') return 1n;
  const table = quote === 'USDT' ? USDT_TICKS : KRW_TICKS;
  for (const [lo, tick] of table) if (price >= lo) return tick;
  return 1n;
}

/** The tick for prices in the band that contains `price`. */
export function tickSize(quote: string, price: Dec): Dec {
  return fromSats(tickSats(quote, toSats(price)));
}

/** The largest grid price ≤ `price`. */
export function snapDown(quote: string, price: bigint): bigint {
  return price - (price % tickSats(quote, price));
}

/** The next grid price above `price` (which must be on the grid). */
export function nextUp(quote: string, price: bigint): bigint {
  return price + tickSats(quote, price);
}

/** The next grid price below `price`, using the tick of the band just below it; never below one tick. */
export function nextDown(quote: string, price: bigint): bigint {
  const below = price - tickSats(quote, price - 1n);
  return below >= tickSats(quote, 0n) ? below : price;
}

/**
 * Orderbook aggregation levels (sats) a market accepts (protocol §2.2): 0 everywhere; on KRW
 * markets also the tick and its ten-fold multiples (an approximation of Upbit's per-market
 * `supported_levels`; any other level gets no data, as Upbit documents).
 */
export function supportedLevels(code: string, price: bigint): readonly bigint[] {
  if (quoteOf(code) !== 'KRW') return [0n];
  const tick = tickSats('KRW', price);
  return [0n, tick, tick * 10n, tick * 100n, tick * 1000n, tick * 10000n];
}
