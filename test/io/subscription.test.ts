/**
 * encodeSubscription: every component's wishes in, the ONE request Upbit expects out (§2, §5.1),
 * merged, sorted and deterministic; and every way a wish can be wrong.
 */
import { describe, expect, it } from 'vitest';
import { UpbitValidationError } from '../../src/io/errors.js';
import { CANDLE_TYPES } from '../../src/io/fields.js';
import { encodeSubscription, stringifyRequest, validateWish, type Wish } from '../../src/io/subscription.js';
import { prng } from './fixtures.js';

const T = { ticket: 't-1' };
const body = (wishes: Wish[], format?: Parameters<typeof encodeSubscription>[1]['format']) =>
  encodeSubscription(wishes, { ...T, format }).slice(1, -1);

describe('the request array', () => {
  it('is ticket first, one object per type, format last', () => {
    const req = encodeSubscription(
      [
        { type: 'trade', codes: ['KRW-BTC'] },
        { type: 'ticker', codes: ['KRW-ETH'] },
      ],
      { ticket: 'abc', format: 'SIMPLE' },
    );
    expect(req).toEqual([
      { ticket: 'abc' },
      { type: 'ticker', codes: ['KRW-ETH'] },
      { type: 'trade', codes: ['KRW-BTC'] },
      { format: 'SIMPLE' },
    ]);
    expect(stringifyRequest(req)).toBe(
      '[{"ticket":"abc"},{"type":"ticker","codes":["KRW-ETH"]},{"type":"trade","codes":["KRW-BTC"]},{"format":"SIMPLE"}]',
    );
  });

  it('defaults to the DEFAULT format; every format is accepted', () => {
    expect(encodeSubscription([{ type: 'ticker', codes: ['KRW-BTC'] }], T).at(-1)).toEqual({ format: 'DEFAULT' });
    for (const format of ['DEFAULT', 'SIMPLE', 'JSON_LIST', 'SIMPLE_LIST'] as const) {
      expect(encodeSubscription([], { ...T, format }).at(-1)).toEqual({ format });
    }
  });

  it('merges codes per type: united, de-duplicated, sorted', () => {
    expect(
      body([
        { type: 'ticker', codes: ['KRW-XRP', 'KRW-BTC'] },
        { type: 'ticker', codes: ['KRW-BTC', 'BTC-ETH', 'KRW-BTC'] },
      ]),
    ).toEqual([{ type: 'ticker', codes: ['BTC-ETH', 'KRW-BTC', 'KRW-XRP'] }]);
  });

  it('orders types as the field table lists them, candles by unit', () => {
    const types = body([
      { type: 'myAsset' },
      { type: 'candle.240m', codes: ['KRW-BTC'] },
      { type: 'orderbook', codes: ['KRW-BTC'] },
      { type: 'candle.1s', codes: ['KRW-BTC'] },
      { type: 'ticker', codes: ['KRW-BTC'] },
      { type: 'announcement' },
      { type: 'myOrder' },
      { type: 'trade', codes: ['KRW-BTC'] },
    ]).map((o) => (o as { type: string }).type);
    expect(types).toEqual(['ticker', 'trade', 'orderbook', 'candle.1s', 'candle.240m', 'myOrder', 'myAsset', 'announcement']);
  });

  it('is deterministic: the same wishes in any order give the same bytes', () => {
    const wishes: Wish[] = [
      { type: 'ticker', codes: ['KRW-BTC', 'KRW-ETH'] },
      { type: 'orderbook', codes: ['KRW-BTC.5'], level: 1000 },
      { type: 'orderbook', codes: ['KRW-ETH'] },
      { type: 'trade', codes: ['KRW-XRP'], stream: 'realtime' },
      { type: 'candle.1m', codes: ['KRW-BTC'] },
      { type: 'myOrder', codes: ['KRW-BTC'] },
      { type: 'announcement', categories: ['trade', 'notice'] },
    ];
    const expected = stringifyRequest(encodeSubscription(wishes, T));
    const rand = prng(3);
    for (let k = 0; k < 50; k++) {
      const shuffled = [...wishes].sort(() => rand() - 0.5).map((w) => ({ ...w, codes: w.codes && [...w.codes].reverse() }));
      expect(stringifyRequest(encodeSubscription(shuffled, T))).toBe(expected);
    }
  });
});

describe('stream preferences', () => {
  const flags = (...streams: ('both' | 'snapshot' | 'realtime' | undefined)[]) =>
    body(streams.map((stream, i) => ({ type: 'ticker', codes: [`KRW-A${i}`], stream })))[0];

  it('snapshot + realtime → no flags (snapshot, then realtime)', () => {
    expect(flags('snapshot', 'realtime')).not.toHaveProperty('is_only_snapshot');
    expect(flags('snapshot', 'realtime')).not.toHaveProperty('is_only_realtime');
    expect(flags(undefined, 'snapshot')).not.toHaveProperty('is_only_snapshot');
    expect(flags('both')).toEqual({ type: 'ticker', codes: ['KRW-A0'] });
  });

  it('all snapshot → is_only_snapshot; all realtime → is_only_realtime', () => {
    expect(flags('snapshot', 'snapshot')).toMatchObject({ is_only_snapshot: true });
    expect(flags('snapshot')).not.toHaveProperty('is_only_realtime');
    expect(flags('realtime', 'realtime')).toMatchObject({ is_only_realtime: true });
    expect(flags('realtime')).not.toHaveProperty('is_only_snapshot');
  });

  it('private types carry no stream flags', () => {
    expect(body([{ type: 'myOrder', stream: 'realtime' }])).toEqual([{ type: 'myOrder' }]);
  });
});

describe('orderbook', () => {
  it('the deepest depth asked wins; 30 (the default) needs no suffix', () => {
    expect(
      body([
        { type: 'orderbook', codes: ['KRW-BTC.5', 'KRW-ETH.1'] },
        { type: 'orderbook', codes: ['KRW-BTC.15'] },
        { type: 'orderbook', codes: ['KRW-ETH'], depth: 5 },
      ]),
    ).toEqual([{ type: 'orderbook', codes: ['KRW-BTC.15', 'KRW-ETH.5'] }]);
    expect(
      body([
        { type: 'orderbook', codes: ['KRW-BTC.5'] },
        { type: 'orderbook', codes: ['KRW-BTC'] },
      ]),
    ).toEqual([{ type: 'orderbook', codes: ['KRW-BTC'] }]);
  });

  it('one object per level, levels ascending; level 0 is the default and merges with no level', () => {
    expect(
      body([
        { type: 'orderbook', codes: ['KRW-ETH.5'], level: 1000 },
        { type: 'orderbook', codes: ['KRW-BTC.15'], level: '10000' },
        { type: 'orderbook', codes: ['KRW-XRP'], level: 0 },
        { type: 'orderbook', codes: ['KRW-SOL'] },
        { type: 'orderbook', codes: ['KRW-ETH'], level: '1000' },
      ]),
    ).toEqual([
      { type: 'orderbook', codes: ['KRW-SOL', 'KRW-XRP'] },
      { type: 'orderbook', codes: ['KRW-ETH'], level: 1000 },
      { type: 'orderbook', codes: ['KRW-BTC.15'], level: 10000 },
    ]);
  });
});

describe('private types and announcements', () => {
  it('myOrder without codes (or with []) = all markets, and wins over specific codes', () => {
    expect(body([{ type: 'myOrder' }])).toEqual([{ type: 'myOrder' }]);
    expect(body([{ type: 'myOrder', codes: [] }])).toEqual([{ type: 'myOrder' }]);
    expect(body([{ type: 'myOrder', codes: ['KRW-BTC'] }, { type: 'myOrder' }])).toEqual([{ type: 'myOrder' }]);
    expect(body([{ type: 'myOrder', codes: ['KRW-ETH'] }, { type: 'myOrder', codes: ['KRW-BTC'] }])).toEqual([
      { type: 'myOrder', codes: ['KRW-BTC', 'KRW-ETH'] },
    ]);
  });

  it('myAsset never carries codes', () => {
    expect(body([{ type: 'myAsset' }, { type: 'myAsset', codes: [] }])).toEqual([{ type: 'myAsset' }]);
  });

  it('announcement categories merge sorted; a wish for every category wins; include_body if anyone asks', () => {
    expect(
      body([
        { type: 'announcement', categories: ['trade', 'notice'] },
        { type: 'announcement', categories: ['wallet', 'trade'], includeBody: true },
      ]),
    ).toEqual([{ type: 'announcement', categories: ['notice', 'trade', 'wallet'], include_body: true }]);
    expect(body([{ type: 'announcement', categories: ['trade'] }, { type: 'announcement' }])).toEqual([{ type: 'announcement' }]);
  });
});

describe('validation', () => {
  const invalid = (w: unknown, code: string) => {
    for (const f of [() => validateWish(w as Wish), () => encodeSubscription([w as Wish], T)]) {
      let err: unknown;
      try {
        f();
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(w)).toBeInstanceOf(UpbitValidationError);
      expect((err as UpbitValidationError).code, JSON.stringify(w)).toBe(code);
      expect((err as UpbitValidationError).name).toBe('UpbitValidationError');
    }
  };

  it('INVALID_CODE: lower case, malformed, missing codes', () => {
    for (const codes of [['krw-btc'], ['KRW-btc'], ['KRWBTC'], ['KRW-'], ['-BTC'], ['KRW_BTC'], [''], ['KRW-BTC ']]) {
      invalid({ type: 'ticker', codes }, 'INVALID_CODE');
      invalid({ type: 'myOrder', codes }, 'INVALID_CODE');
    }
    invalid({ type: 'orderbook', codes: ['krw-btc.15'] }, 'INVALID_CODE');
    invalid({ type: 'trade', codes: [] }, 'INVALID_CODE');
    invalid({ type: 'candle.1m' }, 'INVALID_CODE');
    invalid({ type: 'ticker', codes: [42] }, 'INVALID_CODE');
  });

  it('INVALID_OPTION: depth suffix off the orderbook, codes on myAsset, bad depth, bad level', () => {
    invalid({ type: 'ticker', codes: ['KRW-BTC.15'] }, 'INVALID_OPTION');
    invalid({ type: 'candle.1s', codes: ['KRW-BTC.5'] }, 'INVALID_OPTION');
    invalid({ type: 'myOrder', codes: ['KRW-BTC.5'] }, 'INVALID_OPTION');
    invalid({ type: 'myAsset', codes: ['KRW-BTC'] }, 'INVALID_OPTION');
    invalid({ type: 'announcement', codes: ['KRW-BTC'] }, 'INVALID_OPTION');
    for (const c of ['KRW-BTC.10', 'KRW-BTC.0', 'KRW-BTC.', 'KRW-BTC.015', 'KRW-BTC.x']) invalid({ type: 'orderbook', codes: [c] }, 'INVALID_OPTION');
    invalid({ type: 'orderbook', codes: ['KRW-BTC'], depth: 10 }, 'INVALID_OPTION');
    for (const level of [-1, Number.NaN, Infinity, 'abc', '', '-5', true]) {
      invalid({ type: 'orderbook', codes: ['KRW-BTC'], level }, 'INVALID_OPTION');
    }
    invalid({ type: 'ticker', codes: ['KRW-BTC'], depth: 15 }, 'INVALID_OPTION');
    invalid({ type: 'trade', codes: ['KRW-BTC'], level: 1000 }, 'INVALID_OPTION');
    invalid({ type: 'ticker', codes: ['KRW-BTC'], stream: 'sometimes' }, 'INVALID_OPTION');
    invalid({ type: 'announcement', categories: ['gossip'] }, 'INVALID_OPTION');
    invalid({ type: 'ticker', codes: ['KRW-BTC'], includeBody: true }, 'INVALID_OPTION');
    invalid({ type: 'ticker', codes: 'KRW-BTC' }, 'INVALID_OPTION');
  });

  it('INVALID_TYPE: unknown candle unit and unknown types, with a hint for candles', () => {
    invalid({ type: 'candle.2m', codes: ['KRW-BTC'] }, 'INVALID_TYPE');
    invalid({ type: 'myTrade' }, 'INVALID_TYPE');
    invalid({ type: 'Ticker', codes: ['KRW-BTC'] }, 'INVALID_TYPE');
    invalid({}, 'INVALID_TYPE');
    expect(() => validateWish({ type: 'candle.2m', codes: ['KRW-BTC'] } as unknown as Wish)).toThrow(CANDLE_TYPES.join(', '));
  });

  it('request options: ticket and format', () => {
    expect(() => encodeSubscription([], { ticket: '' })).toThrow(UpbitValidationError);
    expect(() => encodeSubscription([], { ticket: 't', format: 'XML' as never })).toThrow(UpbitValidationError);
  });

  it('a valid wish is returned unchanged', () => {
    const w: Wish = { type: 'orderbook', codes: ['KRW-BTC.15'], level: 1000, stream: 'snapshot' };
    expect(validateWish(w)).toBe(w);
  });
});
