/**
 * Date and time texts in the exact shapes Upbit uses (protocol §4), from Unix milliseconds.
 * All UTC unless the name says KST (UTC+9).
 */
const KST_MS = 9 * 3600_000;
const p2 = (n: number) => (n < 10 ? `0${n}` : String(n));

function parts(ms: number) {
  const d = new Date(ms);
  return {
    y: String(d.getUTCFullYear()),
    mo: p2(d.getUTCMonth() + 1),
    d: p2(d.getUTCDate()),
    h: p2(d.getUTCHours()),
    mi: p2(d.getUTCMinutes()),
    s: p2(d.getUTCSeconds()),
  };
}

/** `yyyyMMdd` (ticker trade_date). */
export const compactDate = (ms: number) => {
  const t = parts(ms);
  return `${t.y}${t.mo}${t.d}`;
};
/** `HHmmss` (ticker trade_time). */
export const compactTime = (ms: number) => {
  const t = parts(ms);
  return `${t.h}${t.mi}${t.s}`;
};
/** `yyyy-MM-dd` (trade trade_date, 52-week dates). */
export const isoDate = (ms: number) => {
  const t = parts(ms);
  return `${t.y}-${t.mo}-${t.d}`;
};
/** `HH:mm:ss` (trade trade_time). */
export const isoTime = (ms: number) => {
  const t = parts(ms);
  return `${t.h}:${t.mi}:${t.s}`;
};
/** `yyyy-MM-ddTHH:mm:ss` (candle_date_time_utc). */
export const candleTime = (ms: number) => `${isoDate(ms)}T${isoTime(ms)}`;
/** The same in KST (candle_date_time_kst). */
export const candleTimeKst = (ms: number) => candleTime(ms + KST_MS);
/** `yyyy-MM-ddTHH:mm:ss+09:00` (announcements, REST created_at). */
export const isoKst = (ms: number) => `${candleTime(ms + KST_MS)}+09:00`;
export const kstShift = (ms: number) => ms + KST_MS;

export const DAY_MS = 86_400_000;
