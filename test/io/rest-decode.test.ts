/**
 * The REST decoder on its own: exact decimals from numbers and from strings, nullable and
 * missing rows, list rows, non-ASCII bodies, and a typed `UpbitDecodeError` for every bad body.
 */
import { describe, expect, it } from 'vitest';
import { decodeRestList, REST_ACCOUNT, REST_CANDLE, REST_ORDERBOOK, UpbitDecodeError } from '../../src/io/index.js';
import type { RestAccount, RestCandle, RestOrderbook } from '../../src/io/index.js';

const ACCOUNT = '{"currency":"KRW","balance":"12345678901234567890.123456789","locked":"0.0","avg_buy_price":"0","avg_buy_price_modified":false,"unit_currency":"KRW"}';

function codeOf(body: string, table = REST_ACCOUNT): string | undefined {
  try {
    decodeRestList(body, table);
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(UpbitDecodeError);
    return (e as UpbitDecodeError).code;
  }
}

describe('decodeRestList', () => {
  it('decimals from strings keep every digit (beyond what a double holds)', () => {
    const [a] = decodeRestList<RestAccount>(`[${ACCOUNT}]`, REST_ACCOUNT);
    expect(a.balance.toFixed()).toBe('12345678901234567890.123456789');
    expect(a.locked.isZero()).toBe(true);
    expect(a.avgBuyPriceModified).toBe(false);
    expect(Object.isFrozen(a)).toBe(true);
  });

  it('numbers, nulls, absent nullable rows and list rows', () => {
    const body =
      '[{"market":"KRW-BTC","timestamp":1700000000000,"total_ask_size":0.12345678901234567891,"total_bid_size":3,' +
      '"orderbook_units":[{"ask_price":1e3,"bid_price":999.5,"ask_size":1,"bid_size":2}],"level":null,"extra":{"x":[1]}}]';
    const [b] = decodeRestList<RestOrderbook>(body, REST_ORDERBOOK);
    expect(b.code).toBe('KRW-BTC');
    expect(b.totalAskSize.toFixed()).toBe('0.12345678901234567891');
    expect(b.orderbookUnits[0].askPrice.toFixed()).toBe('1000');
    expect(b.level).toBeNull();
    const [c] = decodeRestList<RestCandle>(
      '[{"market":"KRW-BTC","candle_date_time_utc":"2025-01-01T00:00:00","candle_date_time_kst":"2025-01-01T09:00:00",' +
        '"opening_price":1,"high_price":2,"low_price":0.5,"trade_price":1.5,"timestamp":1,"candle_acc_trade_price":10,"candle_acc_trade_volume":7,"unit":1}]',
      REST_CANDLE,
    );
    expect(c.unit).toBe(1);
    expect(c.changeRate).toBeNull();
    expect(c.firstDayOfPeriod).toBeNull();
  });

  it('non-ASCII bodies (bytes) decode the same', () => {
    const body = Buffer.from(`[${ACCOUNT.replace('"KRW","balance"', '"원화","balance"')}]`, 'utf8');
    const [a] = decodeRestList<RestAccount>(body, REST_ACCOUNT);
    expect(a.currency).toBe('원화');
    expect(a.balance.toFixed()).toBe('12345678901234567890.123456789');
  });

  it.each([
    ['an empty body', '', 'DECODE_EMPTY'],
    ['malformed JSON', `[${ACCOUNT.slice(0, 40)}`, 'DECODE_JSON'],
    ['trailing characters', `[${ACCOUNT}] x`, 'DECODE_JSON'],
    ['not an array', ACCOUNT, 'DECODE_FIELD'],
    ['an element that is not an object', '[1]', 'DECODE_FIELD'],
    ['a missing required row', '[{"currency":"KRW"}]', 'DECODE_FIELD'],
    ['a decimal string that is not a number', `[${ACCOUNT.replace('"0.0"', '"1,000"')}]`, 'DECODE_FIELD'],
    ['a decimal that is a boolean', `[${ACCOUNT.replace('"0.0"', 'true')}]`, 'DECODE_FIELD'],
    ['null where required', `[${ACCOUNT.replace('"0.0"', 'null')}]`, 'DECODE_FIELD'],
    ['a string where a boolean goes', `[${ACCOUNT.replace('false', '"false"')}]`, 'DECODE_FIELD'],
    ['invalid UTF-8', Buffer.from([0x5b, 0x22, 0xc3, 0x28, 0x22, 0x5d]), 'DECODE_UTF8'],
  ] as const)('%s → %s', (_why, body, code) => {
    expect(codeOf(body as string)).toBe(code);
  });
});
