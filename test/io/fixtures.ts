/**
 * Hand-written Upbit frames and what they must decode to.
 *
 * How to read this file: every frame below is typed out literally from the field tables of
 * ../shared/upbit-protocol.md §2.4, §3 and §6 (DEFAULT keys and SIMPLE abbreviations), NOT
 * generated from src/io/fields.ts, so a wrong name or abbreviation in the field table fails the
 * tests. Nullable fields carry a non-null value in at least one fixture of each kind for the same
 * reason. The `expected` objects are the decoded camelCase view (`toJSON()`), also typed by hand.
 */
import { Decimal } from 'decimal.js';

export const D = (text: string) => new Decimal(text);

export interface Fixture {
  readonly name: string;
  readonly frame: string;
  readonly expected: Record<string, unknown>;
}

// ─── ticker (§3.1) ──────────────────────────────────────────────────────────────────────────────

const TICKER_EXPECTED = {
  type: 'ticker',
  code: 'KRW-BTC',
  openingPrice: D('31883000'),
  highPrice: D('32310000'),
  lowPrice: D('31855000'),
  tradePrice: D('32287000'),
  prevClosingPrice: D('31883000'),
  change: 'RISE',
  changePrice: D('404000'),
  signedChangePrice: D('404000'),
  changeRate: D('0.0126713295'),
  signedChangeRate: D('0.0126713295'),
  tradeVolume: D('0.03103806'),
  accTradeVolume: D('1801.65823437'),
  accTradeVolume24h: D('2355.47648611'),
  accTradePrice: D('57851348.07587233'),
  accTradePrice24h: D('224012345678.98765432'),
  tradeDate: '20230221',
  tradeTime: '074410',
  tradeTimestamp: 1676965450000,
  askBid: 'BID',
  accAskVolume: D('1010.93927505'),
  accBidVolume: D('790.71895932'),
  highest52WeekPrice: D('57678000'),
  highest52WeekDate: '2021-03-13',
  lowest52WeekPrice: D('20700000'),
  lowest52WeekDate: '2022-12-30',
  marketState: 'ACTIVE',
  isTradingSuspended: false,
  delistingDate: null,
  marketWarning: 'NONE',
  timestamp: 1676965450301,
  streamType: 'REALTIME',
};

export const TICKER_DEFAULT: Fixture = {
  name: 'ticker DEFAULT',
  frame:
    '{"type":"ticker","code":"KRW-BTC","opening_price":31883000,"high_price":32310000,"low_price":31855000,' +
    '"trade_price":32287000,"prev_closing_price":31883000.00000000,"change":"RISE","change_price":404000.00000000,' +
    '"signed_change_price":404000.00000000,"change_rate":0.0126713295,"signed_change_rate":0.0126713295,' +
    '"trade_volume":0.03103806,"acc_trade_volume":1801.65823437,"acc_trade_volume_24h":2355.47648611,' +
    '"acc_trade_price":57851348.07587233,"acc_trade_price_24h":224012345678.98765432,"trade_date":"20230221",' +
    '"trade_time":"074410","trade_timestamp":1676965450000,"ask_bid":"BID","acc_ask_volume":1010.93927505,' +
    '"acc_bid_volume":790.71895932,"highest_52_week_price":57678000.00000000,"highest_52_week_date":"2021-03-13",' +
    '"lowest_52_week_price":20700000.00000000,"lowest_52_week_date":"2022-12-30","market_state":"ACTIVE",' +
    '"is_trading_suspended":false,"delisting_date":null,"market_warning":"NONE","timestamp":1676965450301,' +
    '"stream_type":"REALTIME"}',
  expected: TICKER_EXPECTED,
};

/** The deprecated and rarely-set fields with values, a SNAPSHOT, and a falling market. */
const TICKER_SIMPLE_EXPECTED = {
  ...TICKER_EXPECTED,
  code: 'KRW-XRP',
  change: 'FALL',
  signedChangePrice: D('-404000'),
  signedChangeRate: D('-0.0126713295'),
  askBid: 'ASK',
  marketState: 'DELISTED',
  isTradingSuspended: true,
  delistingDate: '2025-12-31',
  marketWarning: 'CAUTION',
  streamType: 'SNAPSHOT',
};

export const TICKER_SIMPLE: Fixture = {
  name: 'ticker SIMPLE',
  frame:
    '{"ty":"ticker","cd":"KRW-XRP","op":31883000,"hp":32310000,"lp":31855000,"tp":32287000,' +
    '"pcp":31883000.00000000,"c":"FALL","cp":404000.00000000,"scp":-404000.00000000,"cr":0.0126713295,' +
    '"scr":-0.0126713295,"tv":0.03103806,"atv":1801.65823437,"atv24h":2355.47648611,"atp":57851348.07587233,' +
    '"atp24h":224012345678.98765432,"tdt":"20230221","ttm":"074410","ttms":1676965450000,"ab":"ASK",' +
    '"aav":1010.93927505,"abv":790.71895932,"h52wp":57678000.00000000,"h52wdt":"2021-03-13",' +
    '"l52wp":20700000.00000000,"l52wdt":"2022-12-30","ms":"DELISTED","its":true,"dd":"2025-12-31",' +
    '"mw":"CAUTION","tms":1676965450301,"st":"SNAPSHOT"}',
  expected: TICKER_SIMPLE_EXPECTED,
};

// ─── trade (§3.2) ───────────────────────────────────────────────────────────────────────────────

const TRADE_EXPECTED = {
  type: 'trade',
  code: 'KRW-BTC',
  tradePrice: D('100571000'),
  tradeVolume: D('0.00009945'),
  askBid: 'BID',
  prevClosingPrice: D('100720000'),
  change: 'FALL',
  changePrice: D('149000'),
  tradeDate: '2024-10-31',
  tradeTime: '01:07:42',
  tradeTimestamp: 1730336862047,
  timestamp: 1730336862082,
  sequentialId: '17303368620470000',
  bestAskPrice: D('100571000'),
  bestAskSize: D('0.00006979'),
  bestBidPrice: D('100562000'),
  bestBidSize: D('0.04279275'),
  streamType: 'REALTIME',
};

export const TRADE_DEFAULT: Fixture = {
  name: 'trade DEFAULT',
  frame:
    '{"type":"trade","code":"KRW-BTC","timestamp":1730336862082,"trade_date":"2024-10-31","trade_time":"01:07:42",' +
    '"trade_timestamp":1730336862047,"trade_price":100571000.00000000,"trade_volume":0.00009945,"ask_bid":"BID",' +
    '"prev_closing_price":100720000.00000000,"change":"FALL","change_price":149000.00000000,' +
    '"sequential_id":17303368620470000,"best_ask_price":100571000,"best_ask_size":0.00006979,' +
    '"best_bid_price":100562000,"best_bid_size":0.04279275,"stream_type":"REALTIME"}',
  expected: TRADE_EXPECTED,
};

export const TRADE_SIMPLE: Fixture = {
  name: 'trade SIMPLE',
  frame:
    '{"ty":"trade","cd":"KRW-BTC","tms":1730336862082,"td":"2024-10-31","ttm":"01:07:42","ttms":1730336862047,' +
    '"tp":100571000.00000000,"tv":0.00009945,"ab":"BID","pcp":100720000.00000000,"c":"FALL","cp":149000.00000000,' +
    '"sid":17877285547970001,"bap":100571000,"bas":0.00006979,"bbp":100562000,"bbs":0.04279275,"st":"REALTIME"}',
  expected: { ...TRADE_EXPECTED, sequentialId: '17877285547970001' },
};

// ─── orderbook (§3.3) ───────────────────────────────────────────────────────────────────────────

const ORDERBOOK_EXPECTED = {
  type: 'orderbook',
  code: 'KRW-BTC',
  totalAskSize: D('4.79158413'),
  totalBidSize: D('2.65609625'),
  orderbookUnits: [
    { askPrice: D('137002000'), bidPrice: D('137001000'), askSize: D('0.10623869'), bidSize: D('0.03656812') },
    { askPrice: D('137023000'), bidPrice: D('137000000'), askSize: D('0.06000000'), bidSize: D('0.00146548') },
    { askPrice: D('137024000'), bidPrice: D('136999000'), askSize: D('1e-8'), bidSize: D('2.5E+3') },
  ],
  timestamp: 1746601573804,
  level: D('0'),
  streamType: 'SNAPSHOT',
};

export const ORDERBOOK_DEFAULT: Fixture = {
  name: 'orderbook DEFAULT',
  frame:
    '{"type":"orderbook","code":"KRW-BTC","timestamp":1746601573804,"total_ask_size":4.79158413,' +
    '"total_bid_size":2.65609625,"orderbook_units":[' +
    '{"ask_price":137002000,"bid_price":137001000,"ask_size":0.10623869,"bid_size":0.03656812},' +
    '{"ask_price":137023000,"bid_price":137000000,"ask_size":0.06,"bid_size":0.00146548},' +
    '{"ask_price":137024000,"bid_price":136999000,"ask_size":1e-8,"bid_size":2.5E+3}],' +
    '"stream_type":"SNAPSHOT","level":0}',
  expected: ORDERBOOK_EXPECTED,
};

export const ORDERBOOK_SIMPLE: Fixture = {
  name: 'orderbook SIMPLE',
  frame:
    '{"ty":"orderbook","cd":"KRW-BTC","tms":1746601573804,"tas":4.79158413,"tbs":2.65609625,"obu":[' +
    '{"ap":137002000,"bp":137001000,"as":0.10623869,"bs":0.03656812},' +
    '{"ap":137023000,"bp":137000000,"as":0.06,"bs":0.00146548},' +
    '{"ap":137024000,"bp":136999000,"as":1e-8,"bs":2.5E+3}],"st":"REALTIME","lv":10000}',
  expected: { ...ORDERBOOK_EXPECTED, streamType: 'REALTIME', level: D('10000') },
};

// ─── candle (§3.4): one frame per unit is built from this template ──────────────────────────────

export const CANDLE_UNITS_DOC = ['1s', '1m', '3m', '5m', '10m', '15m', '30m', '60m', '240m'];

export const candleFixtures = (unit: string): [Fixture, Fixture] => {
  const expected = {
    type: `candle.${unit}`,
    code: 'KRW-BTC',
    candleDateTimeUtc: '2025-01-02T04:28:00',
    candleDateTimeKst: '2025-01-02T13:28:00',
    openingPrice: D('142009000'),
    highPrice: D('142009000'),
    lowPrice: D('142008000'),
    tradePrice: D('142009000'),
    candleAccTradeVolume: D('0.00606119'),
    candleAccTradePrice: D('860743.64990000'),
    timestamp: 1735792080824,
    streamType: 'REALTIME',
  };
  return [
    {
      name: `candle.${unit} DEFAULT`,
      frame:
        `{"type":"candle.${unit}","code":"KRW-BTC","candle_date_time_utc":"2025-01-02T04:28:00",` +
        '"candle_date_time_kst":"2025-01-02T13:28:00","opening_price":142009000.00000000,' +
        '"high_price":142009000.00000000,"low_price":142008000.00000000,"trade_price":142009000.00000000,' +
        '"candle_acc_trade_volume":0.00606119,"candle_acc_trade_price":860743.64990000,' +
        '"timestamp":1735792080824,"stream_type":"REALTIME"}',
      expected,
    },
    {
      name: `candle.${unit} SIMPLE`,
      frame:
        `{"ty":"candle.${unit}","cd":"KRW-BTC","cdttmu":"2025-01-02T04:28:00","cdttmk":"2025-01-02T13:28:00",` +
        '"op":142009000.00000000,"hp":142009000.00000000,"lp":142008000.00000000,"tp":142009000.00000000,' +
        '"catv":0.00606119,"catp":860743.64990000,"tms":1735792080824,"st":"REALTIME"}',
      expected,
    },
  ];
};

// ─── myOrder (§3.5) ─────────────────────────────────────────────────────────────────────────────

/** A fill (`state: trade`): every field carries a value. */
const MY_ORDER_EXPECTED = {
  type: 'myOrder',
  code: 'KRW-BTC',
  uuid: 'ac2dc2a3-fce9-40a2-b4f6-5987c25c438f',
  askBid: 'BID',
  orderType: 'limit',
  state: 'trade',
  tradeUuid: '68315169-fba4-4175-ade3-aff14a616657',
  price: D('138500000'),
  avgPrice: D('138500000'),
  volume: D('0.0001'),
  remainingVolume: D('0'),
  executedVolume: D('0.0001'),
  tradesCount: 1,
  reservedFee: D('6.925'),
  remainingFee: D('0'),
  paidFee: D('6.925'),
  locked: D('0'),
  executedFunds: D('13850'),
  timeInForce: 'post_only',
  tradeFee: D('6.925'),
  isMaker: true,
  identifier: 'my-order-7',
  smpType: 'cancel_maker',
  preventedVolume: D('0'),
  preventedLocked: D('0'),
  tradeTimestamp: 1730781298000,
  orderTimestamp: 1730781297000,
  timestamp: 1730781298123,
  streamType: 'REALTIME',
};

export const MY_ORDER_DEFAULT: Fixture = {
  name: 'myOrder DEFAULT (fill)',
  frame:
    '{"type":"myOrder","code":"KRW-BTC","uuid":"ac2dc2a3-fce9-40a2-b4f6-5987c25c438f","ask_bid":"BID",' +
    '"order_type":"limit","state":"trade","trade_uuid":"68315169-fba4-4175-ade3-aff14a616657",' +
    '"price":138500000,"avg_price":138500000,"volume":0.0001,"remaining_volume":0,"executed_volume":0.0001,' +
    '"trades_count":1,"reserved_fee":6.925,"remaining_fee":0,"paid_fee":6.925,"locked":0,' +
    '"executed_funds":13850,"time_in_force":"post_only","trade_fee":6.925,"is_maker":true,' +
    '"identifier":"my-order-7","smp_type":"cancel_maker","prevented_volume":0,"prevented_locked":0,' +
    '"trade_timestamp":1730781298000,"order_timestamp":1730781297000,"timestamp":1730781298123,' +
    '"stream_type":"REALTIME"}',
  expected: MY_ORDER_EXPECTED,
};

export const MY_ORDER_SIMPLE: Fixture = {
  name: 'myOrder SIMPLE (fill)',
  frame:
    '{"ty":"myOrder","cd":"KRW-BTC","uid":"ac2dc2a3-fce9-40a2-b4f6-5987c25c438f","ab":"BID","ot":"limit",' +
    '"s":"trade","tuid":"68315169-fba4-4175-ade3-aff14a616657","p":138500000,"ap":138500000,"v":0.0001,' +
    '"rv":0,"ev":0.0001,"tc":1,"rsf":6.925,"rmf":0,"pf":6.925,"l":0,"ef":13850,"tif":"post_only",' +
    '"tf":6.925,"im":true,"id":"my-order-7","smpt":"cancel_maker","pv":0,"pl":0,"ttms":1730781298000,' +
    '"otms":1730781297000,"tms":1730781298123,"st":"REALTIME"}',
  expected: MY_ORDER_EXPECTED,
};

/** A market buy as it waits (the shape ccxt PR #27219 captured): many fields null. */
const MY_ORDER_WAIT_EXPECTED = {
  type: 'myOrder',
  code: 'KRW-XRP',
  uuid: '9d2b5a77-9a4f-4a5c-a3c9-1f7b3c1e2d4f',
  askBid: 'BID',
  orderType: 'price',
  state: 'wait',
  tradeUuid: null,
  price: D('10000'),
  avgPrice: D('0'),
  volume: null,
  remainingVolume: null,
  executedVolume: null,
  tradesCount: 0,
  reservedFee: D('5'),
  remainingFee: D('5'),
  paidFee: D('0'),
  locked: D('10005'),
  executedFunds: D('0'),
  timeInForce: null,
  tradeFee: null,
  isMaker: null,
  identifier: null,
  smpType: null,
  preventedVolume: null,
  preventedLocked: D('0'),
  tradeTimestamp: null,
  orderTimestamp: 1735000000000,
  timestamp: 1735000000456,
  streamType: 'REALTIME',
};

export const MY_ORDER_WAIT_DEFAULT: Fixture = {
  name: 'myOrder DEFAULT (wait, nulls)',
  frame:
    '{"type":"myOrder","code":"KRW-XRP","uuid":"9d2b5a77-9a4f-4a5c-a3c9-1f7b3c1e2d4f","ask_bid":"BID",' +
    '"order_type":"price","state":"wait","trade_uuid":null,"price":10000,"avg_price":0,"volume":null,' +
    '"remaining_volume":null,"executed_volume":null,"trades_count":0,"reserved_fee":5,"remaining_fee":5,' +
    '"paid_fee":0,"locked":10005,"executed_funds":0,"time_in_force":null,"trade_fee":null,"is_maker":null,' +
    '"identifier":null,"smp_type":null,"prevented_volume":null,"prevented_locked":0,"trade_timestamp":null,' +
    '"order_timestamp":1735000000000,"timestamp":1735000000456,"stream_type":"REALTIME"}',
  expected: MY_ORDER_WAIT_EXPECTED,
};

export const MY_ORDER_WAIT_SIMPLE: Fixture = {
  name: 'myOrder SIMPLE (wait, nulls)',
  frame:
    '{"ty":"myOrder","cd":"KRW-XRP","uid":"9d2b5a77-9a4f-4a5c-a3c9-1f7b3c1e2d4f","ab":"BID","ot":"price",' +
    '"s":"wait","tuid":null,"p":10000,"ap":0,"v":null,"rv":null,"ev":null,"tc":0,"rsf":5,"rmf":5,"pf":0,' +
    '"l":10005,"ef":0,"tif":null,"tf":null,"im":null,"id":null,"smpt":null,"pv":null,"pl":0,"ttms":null,' +
    '"otms":1735000000000,"tms":1735000000456,"st":"REALTIME"}',
  expected: MY_ORDER_WAIT_EXPECTED,
};

/** A 2024 payload (ccxt PR #22754) from before `trade_fee`, `is_maker`, `identifier`, SMP existed: absent → null. */
export const MY_ORDER_2024: Fixture = {
  name: 'myOrder DEFAULT (2024, newer fields absent)',
  frame:
    '{"type":"myOrder","code":"SGD-XRP","uuid":"a2a3f5ba-0244-4b48-a085-43635899f26e","ask_bid":"ASK",' +
    '"order_type":"limit","state":"wait","trade_uuid":null,"price":0.5,"avg_price":0,"volume":5,' +
    '"remaining_volume":5,"executed_volume":0,"trades_count":0,"reserved_fee":0,"remaining_fee":0,' +
    '"paid_fee":0,"locked":5,"executed_funds":0,"time_in_force":null,"trade_timestamp":null,' +
    '"order_timestamp":1717732246000,"timestamp":1717732246693,"stream_type":"REALTIME"}',
  expected: {
    type: 'myOrder',
    code: 'SGD-XRP',
    uuid: 'a2a3f5ba-0244-4b48-a085-43635899f26e',
    askBid: 'ASK',
    orderType: 'limit',
    state: 'wait',
    tradeUuid: null,
    price: D('0.5'),
    avgPrice: D('0'),
    volume: D('5'),
    remainingVolume: D('5'),
    executedVolume: D('0'),
    tradesCount: 0,
    reservedFee: D('0'),
    remainingFee: D('0'),
    paidFee: D('0'),
    locked: D('5'),
    executedFunds: D('0'),
    timeInForce: null,
    tradeFee: null,
    isMaker: null,
    identifier: null,
    smpType: null,
    preventedVolume: null,
    preventedLocked: null,
    tradeTimestamp: null,
    orderTimestamp: 1717732246000,
    timestamp: 1717732246693,
    streamType: 'REALTIME',
  },
};

// ─── myAsset (§3.6) ─────────────────────────────────────────────────────────────────────────────

const MY_ASSET_EXPECTED = {
  type: 'myAsset',
  assetUuid: 'e635f223-1609-4969-8fb6-4376937baad6',
  assets: [
    { currency: 'KRW', balance: D('1386929.37231066771348207123'), locked: D('10329.670127489597585685') },
    { currency: 'BTC', balance: D('0.00087421'), locked: D('0') },
  ],
  assetTimestamp: 1710146517259,
  timestamp: 1710146517267,
  streamType: 'REALTIME',
};

export const MY_ASSET_DEFAULT: Fixture = {
  name: 'myAsset DEFAULT',
  frame:
    '{"type":"myAsset","asset_uuid":"e635f223-1609-4969-8fb6-4376937baad6","assets":[' +
    '{"currency":"KRW","balance":1386929.37231066771348207123,"locked":10329.670127489597585685},' +
    '{"currency":"BTC","balance":0.00087421,"locked":0}],"asset_timestamp":1710146517259,' +
    '"timestamp":1710146517267,"stream_type":"REALTIME"}',
  expected: MY_ASSET_EXPECTED,
};

export const MY_ASSET_SIMPLE: Fixture = {
  name: 'myAsset SIMPLE',
  frame:
    '{"ty":"myAsset","astuid":"e635f223-1609-4969-8fb6-4376937baad6","ast":[' +
    '{"cu":"KRW","b":1386929.37231066771348207123,"l":10329.670127489597585685},' +
    '{"cu":"BTC","b":0.00087421,"l":0}],"asttms":1710146517259,"tms":1710146517267,"st":"REALTIME"}',
  expected: MY_ASSET_EXPECTED,
};

// ─── announcement (§3.7) ────────────────────────────────────────────────────────────────────────

const ANNOUNCEMENT_EXPECTED = {
  type: 'announcement',
  eventType: 'CREATED',
  uuid: '5c1e0d5a-8b1b-4f7e-9b1a-3c2d1e0f9a8b',
  title: '[거래] 비트코인(BTC) KRW 마켓 디지털 자산 추가',
  category: 'trade',
  url: 'https://upbit.com/service_center/notice?id=4567',
  firstListedAt: '2025-09-01T10:00:00+09:00',
  listedAt: '2025-09-01T10:05:00+09:00',
  timestamp: 1756688700000,
  streamType: 'REALTIME',
  body: null,
};

export const ANNOUNCEMENT_DEFAULT: Fixture = {
  name: 'announcement DEFAULT (no body)',
  frame:
    '{"type":"announcement","event_type":"CREATED","uuid":"5c1e0d5a-8b1b-4f7e-9b1a-3c2d1e0f9a8b",' +
    '"title":"[거래] 비트코인(BTC) KRW 마켓 디지털 자산 추가","category":"trade",' +
    '"url":"https://upbit.com/service_center/notice?id=4567","first_listed_at":"2025-09-01T10:00:00+09:00",' +
    '"listed_at":"2025-09-01T10:05:00+09:00","timestamp":1756688700000,"stream_type":"REALTIME"}',
  expected: ANNOUNCEMENT_EXPECTED,
};

export const ANNOUNCEMENT_SIMPLE: Fixture = {
  name: 'announcement SIMPLE (with body)',
  frame:
    '{"ty":"announcement","et":"UPDATED","uid":"5c1e0d5a-8b1b-4f7e-9b1a-3c2d1e0f9a8b",' +
    '"tt":"[거래] 비트코인(BTC) KRW 마켓 디지털 자산 추가","cat":"trade",' +
    '"url":"https://upbit.com/service_center/notice?id=4567","flat":"2025-09-01T10:00:00+09:00",' +
    '"lat":"2025-09-01T10:05:00+09:00","tms":1756688700000,"st":"REALTIME",' +
    '"bd":"## 안내\\n\\n\\"BTC\\" 거래 지원 \\u2014 tab:\\there"}',
  expected: { ...ANNOUNCEMENT_EXPECTED, eventType: 'UPDATED', body: '## 안내\n\n"BTC" 거래 지원 \u2014 tab:\there' },
};

export const ANNOUNCEMENT_DEFAULT_BODY: Fixture = {
  name: 'announcement DEFAULT (with body)',
  frame:
    '{"type":"announcement","event_type":"CREATED","uuid":"5c1e0d5a-8b1b-4f7e-9b1a-3c2d1e0f9a8b",' +
    '"title":"[거래] 비트코인(BTC) KRW 마켓 디지털 자산 추가","category":"trade",' +
    '"url":"https://upbit.com/service_center/notice?id=4567","first_listed_at":"2025-09-01T10:00:00+09:00",' +
    '"listed_at":"2025-09-01T10:05:00+09:00","timestamp":1756688700000,"stream_type":"REALTIME",' +
    '"body":"본문 / body"}',
  expected: { ...ANNOUNCEMENT_EXPECTED, body: '본문 / body' },
};

/** `include_body` was asked but the body is too large: sent as null (§3.7). */
export const ANNOUNCEMENT_SIMPLE_NULL_BODY: Fixture = {
  name: 'announcement SIMPLE (body null)',
  frame:
    '{"ty":"announcement","et":"CREATED","uid":"5c1e0d5a-8b1b-4f7e-9b1a-3c2d1e0f9a8b",' +
    '"tt":"[거래] 비트코인(BTC) KRW 마켓 디지털 자산 추가","cat":"trade",' +
    '"url":"https://upbit.com/service_center/notice?id=4567","flat":"2025-09-01T10:00:00+09:00",' +
    '"lat":"2025-09-01T10:05:00+09:00","tms":1756688700000,"st":"REALTIME","bd":null}',
  expected: ANNOUNCEMENT_EXPECTED,
};

// ─── control answers (§2.4, §5.2, §6.1) ─────────────────────────────────────────────────────────

const LIST_EXPECTED = {
  type: 'listSubscriptions',
  method: 'LIST_SUBSCRIPTIONS',
  result: [
    { type: 'ticker', codes: ['KRW-BTC', 'KRW-ETH'], level: null },
    { type: 'orderbook', codes: ['KRW-BTC', 'KRW-ETH'], level: D('0') },
    { type: 'myAsset', codes: null, level: null },
  ],
  ticket: 'unique uuid',
};

export const LIST_DEFAULT: Fixture = {
  name: 'LIST_SUBSCRIPTIONS DEFAULT',
  frame:
    '{"method":"LIST_SUBSCRIPTIONS","result":[{"type":"ticker","codes":["KRW-BTC","KRW-ETH"]},' +
    '{"type":"orderbook","codes":["KRW-BTC","KRW-ETH"],"level":0},{"type":"myAsset"}],"ticket":"unique uuid"}',
  expected: LIST_EXPECTED,
};

export const LIST_SIMPLE: Fixture = {
  name: 'LIST_SUBSCRIPTIONS SIMPLE',
  frame:
    '{"mthd":"LIST_SUBSCRIPTIONS","rslt":[{"ty":"ticker","cds":["KRW-BTC","KRW-ETH"]},' +
    '{"ty":"orderbook","cds":["KRW-BTC","KRW-ETH"],"lv":0},{"ty":"myAsset"}],"tckt":"unique uuid"}',
  expected: LIST_EXPECTED,
};

/** Older pages type the ticket as a Long. */
export const LIST_NUMERIC_TICKET: Fixture = {
  name: 'LIST_SUBSCRIPTIONS with a Long ticket',
  frame: '{"method":"LIST_SUBSCRIPTIONS","result":[],"ticket":12345678901234567890}',
  expected: { type: 'listSubscriptions', method: 'LIST_SUBSCRIPTIONS', result: [], ticket: '12345678901234567890' },
};

export const STATUS_UP: Fixture = {
  name: 'status UP',
  frame: '{"status":"UP"}',
  expected: { type: 'status', status: 'UP' },
};

export const ERROR_AUTH: Fixture = {
  name: 'error INVALID_AUTH',
  frame: '{"error":{"name":"INVALID_AUTH","message":"인증 정보가 올바르지 않습니다."}}',
  expected: { type: 'error', name: 'INVALID_AUTH', message: '인증 정보가 올바르지 않습니다.' },
};

export const ERROR_NO_MESSAGE: Fixture = {
  name: 'error WRONG_FORMAT without message',
  frame: '{"error":{"name":"WRONG_FORMAT"}}',
  expected: { type: 'error', name: 'WRONG_FORMAT', message: null },
};

export const ERROR_REST: Fixture = {
  name: 'error with a numeric REST-style name',
  frame: '{"error":{"name":400,"message":"Invalid parameter. Check the given value!"}}',
  expected: { type: 'error', name: '400', message: 'Invalid parameter. Check the given value!' },
};

/** Every data fixture (DEFAULT and SIMPLE) and every control answer. */
export const ALL_FIXTURES: readonly Fixture[] = [
  TICKER_DEFAULT,
  TICKER_SIMPLE,
  TRADE_DEFAULT,
  TRADE_SIMPLE,
  ORDERBOOK_DEFAULT,
  ORDERBOOK_SIMPLE,
  ...CANDLE_UNITS_DOC.flatMap(candleFixtures),
  MY_ORDER_DEFAULT,
  MY_ORDER_SIMPLE,
  MY_ORDER_WAIT_DEFAULT,
  MY_ORDER_WAIT_SIMPLE,
  MY_ORDER_2024,
  MY_ASSET_DEFAULT,
  MY_ASSET_SIMPLE,
  ANNOUNCEMENT_DEFAULT,
  ANNOUNCEMENT_SIMPLE,
  ANNOUNCEMENT_DEFAULT_BODY,
  ANNOUNCEMENT_SIMPLE_NULL_BODY,
  LIST_DEFAULT,
  LIST_SIMPLE,
  LIST_NUMERIC_TICKET,
  STATUS_UP,
  ERROR_AUTH,
  ERROR_NO_MESSAGE,
  ERROR_REST,
];

/** Whether a fixture's frame uses SIMPLE keys (and so belongs in SIMPLE_LIST rather than JSON_LIST). */
export const isSimpleFrame = (f: Fixture) => /^\{"(ty|mthd)"/.test(f.frame);

export { prng } from '../prng.js';
