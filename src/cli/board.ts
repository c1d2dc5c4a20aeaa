/**
 * The watch board: what `upbit-ws watch` and `upbit-ws start` show.
 *
 * How to read: `Board` keeps one row per market code, fed by `ticker`/`trade`/`orderbook`/`myOrder`
 * events (`Board.on*`); `Board.tick()` turns the counters of the last second into updates/s.
 * Two ways out:
 *  - a terminal gets `Board.table()`: the whole table, redrawn in place by `Screen` (ANSI cursor
 *    moves, no dependency);
 *  - a pipe gets `plainLine(event)`: one line per event, prices as the exact decimal digits Upbit
 *    sent (`Decimal.toFixed()`, never a double, never exponent notation).
 */
import type { Decimal, MyOrder, Orderbook, Ticker, Trade } from '../io/index.js';

interface Row {
  code: string;
  price?: Decimal;
  changeRate?: Decimal;
  changePrice?: Decimal;
  volume24h?: Decimal;
  bid?: Decimal;
  ask?: Decimal;
  trade?: { price: Decimal; volume: Decimal; side: string };
  /** Events since the last tick, and the rate computed at that tick. */
  count: number;
  rate: number;
}

/** An exact decimal as digits, never `1e-7` style. */
export const digits = (d: Decimal | null | undefined): string => (d == null ? '-' : d.toFixed());

/** `+1.23%` from a signed rate (0.0123). */
export const percent = (rate: Decimal | undefined): string => {
  if (!rate) return '-';
  const p = rate.mul(100).toFixed(2);
  return `${rate.isNegative() ? '' : '+'}${p}%`;
};

export class Board {
  private readonly rows = new Map<string, Row>();
  private lastTick: number;
  /** The last private event, shown under the table. */
  lastOrder: string | undefined;
  /** The last warning (decode error...), shown under the table. */
  warning: string | undefined;
  /** Trades seen so far. */
  trades = 0;

  constructor(
    codes: readonly string[],
    private readonly show: { orderbook: boolean; trades: boolean },
    now: number,
  ) {
    for (const code of codes) this.rows.set(code, { code, count: 0, rate: 0 });
    this.lastTick = now;
  }

  private row(code: string): Row | undefined {
    const r = this.rows.get(code);
    if (r) r.count++;
    return r;
  }

  onTicker(t: Ticker): void {
    const r = this.row(t.code);
    if (!r) return;
    r.price = t.tradePrice;
    r.changeRate = t.signedChangeRate;
    r.changePrice = t.signedChangePrice;
    r.volume24h = t.accTradeVolume24h;
  }

  onTrade(t: Trade): void {
    this.trades++;
    const r = this.row(t.code);
    if (r) r.trade = { price: t.tradePrice, volume: t.tradeVolume, side: t.askBid };
  }

  onOrderbook(b: Orderbook): void {
    const r = this.row(b.code);
    const top = b.orderbookUnits[0];
    if (r && top) {
      r.bid = top.bidPrice;
      r.ask = top.askPrice;
    }
  }

  onMyOrder(o: MyOrder): void {
    this.lastOrder = `${o.code} ${o.askBid} ${o.state} ${digits(o.price)} x ${digits(o.volume)}`;
  }

  /** Turn the counts since the previous tick into updates per second. */
  tick(now: number): void {
    const seconds = Math.max(0.001, (now - this.lastTick) / 1000);
    for (const r of this.rows.values()) {
      r.rate = r.count / seconds;
      r.count = 0;
    }
    this.lastTick = now;
  }

  /** Every market with a price, the trade count and the first top of book, on one line. */
  summary(time: string): string {
    const rows = [...this.rows.values()];
    const cells = rows.filter((r) => r.price).map((r) => `${r.code} ${digits(r.price)} (${percent(r.changeRate)})`);
    let text = `${time}  ${cells.join('  ')}`;
    if (this.show.trades) text += `  | trades ${this.trades}`;
    const book = rows.find((r) => r.bid && r.ask);
    if (this.show.orderbook && book) text += `  | book ${book.code} ${digits(book.bid)} / ${digits(book.ask)}`;
    return text;
  }

  /** The table, one string per line, columns padded. `connection` is the status line. */
  table(connection: string): string[] {
    const head = ['market', 'price', 'change', '24h volume'];
    if (this.show.orderbook) head.push('bid', 'ask');
    if (this.show.trades) head.push('last trade');
    head.push('upd/s');
    const body = [...this.rows.values()].map((r) => {
      const cells = [r.code, digits(r.price), `${percent(r.changeRate)} ${r.changePrice ? digits(r.changePrice) : ''}`.trim(), digits(r.volume24h)];
      if (this.show.orderbook) cells.push(digits(r.bid), digits(r.ask));
      if (this.show.trades) cells.push(r.trade ? `${r.trade.side} ${digits(r.trade.volume)} @ ${digits(r.trade.price)}` : '-');
      cells.push(r.rate.toFixed(1));
      return cells;
    });
    const widths = head.map((h, i) => Math.max(h.length, ...body.map((c) => c[i].length)));
    // Numbers right-aligned, names left-aligned.
    const fmt = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
    const lines = [connection, '', fmt(head), ...body.map(fmt)];
    if (this.lastOrder) lines.push('', `last order: ${this.lastOrder}`);
    if (this.warning) lines.push('', `warning: ${this.warning}`);
    return lines;
  }
}

/** One line per event for pipes and logs: `ticker KRW-BTC 135000000 +0.52% vol24h 1234.5`. */
export function plainLine(kind: 'ticker' | 'trade' | 'orderbook' | 'myOrder', e: Ticker | Trade | Orderbook | MyOrder): string {
  switch (kind) {
    case 'ticker': {
      const t = e as Ticker;
      return `ticker ${t.code} ${digits(t.tradePrice)} ${percent(t.signedChangeRate)} vol24h ${digits(t.accTradeVolume24h)}`;
    }
    case 'trade': {
      const t = e as Trade;
      return `trade ${t.code} ${t.askBid} ${digits(t.tradeVolume)} @ ${digits(t.tradePrice)}`;
    }
    case 'orderbook': {
      const b = e as Orderbook;
      const top = b.orderbookUnits[0];
      return `orderbook ${b.code} bid ${digits(top?.bidPrice)} ask ${digits(top?.askPrice)}`;
    }
    case 'myOrder': {
      const o = e as MyOrder;
      return `myOrder ${o.code} ${o.askBid} ${o.state} ${digits(o.price)} x ${digits(o.volume)}`;
    }
  }
}

/** Where the board is drawn: anything with `write` (a TTY stream has `isTTY` true). */
export interface OutStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  on?(event: 'error', fn: (err: NodeJS.ErrnoException) => void): unknown;
  off?(event: 'error', fn: (err: NodeJS.ErrnoException) => void): unknown;
}

/**
 * Redraws a block of lines in place: the cursor goes back up over the previous block, which is
 * cleared, then the new block is written. The cursor is hidden while drawing and shown by `end()`.
 */
export class Screen {
  private drawn = 0;
  constructor(private readonly out: OutStream) {}

  draw(lines: readonly string[]): void {
    const up = this.drawn > 0 ? `\x1b[${this.drawn}F\x1b[J` : '\x1b[?25l';
    this.out.write(`${up}${lines.join('\n')}\n`);
    this.drawn = lines.length;
  }

  end(): void {
    if (this.drawn > 0) this.out.write('\x1b[?25h');
    this.drawn = 0;
  }
}
