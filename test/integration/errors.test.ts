/**
 * Errors stay where they belong: a bad market code, a throwing callback, a malformed frame and an
 * Upbit error frame each reach the one listener they concern, as a typed error, and every other
 * component keeps receiving on the same socket.
 */
import { describe, expect, it } from 'vitest';
import {
  UpbitCallbackError,
  UpbitDecodeError,
  UpbitServerError,
  UpbitValidationError,
  type UpbitError,
} from '../../src/io/index.js';
import { MALFORMED_KINDS } from '../../src/mock/index.js';
import { Recorder, liveConnection, liveUnion, requestsOf, sorted, startSystem, unionOf, waitFor } from './helpers.js';

describe('errors reach the right listener', () => {
  it('a bad market code fails that component only and never reaches the wire', async () => {
    const { mock, hub, tick, hubErrors } = await startSystem();
    const good = hub.client('good');
    const goodRec = new Recorder(good.component, hub);
    await good.subscribeTicker(['KRW-BTC'], () => {});

    // Client facade: the promise rejects with a typed validation error.
    const bad = hub.client('bad');
    const badRec = new Recorder(bad.component, hub);
    const rejected = bad.subscribeTicker(['krw-btc'], () => {});
    await expect(rejected).rejects.toBeInstanceOf(UpbitValidationError);
    await expect(rejected).rejects.toMatchObject({ code: 'INVALID_CODE' });

    // ComponentRef: reported to that component's error listeners.
    const ref = hub.spawnComponent('ref');
    const refRec = new Recorder(ref, hub);
    ref.send({ type: 'SUBSCRIBE', channel: 'trade', codes: ['KRW-ETH', 'krw-btc'] });
    expect(refRec.errors).toHaveLength(1);
    expect(refRec.errors[0]).toBeInstanceOf(UpbitValidationError);
    expect(refRec.errors[0].code).toBe('INVALID_CODE');
    expect(ref.wishes()).toEqual([]); // the whole bad wish was refused, not half of it

    // A valid wish on the same component still works afterwards.
    ref.send({ type: 'SUBSCRIBE', channel: 'trade', codes: ['KRW-ETH'] });
    await waitFor(() => liveUnion(mock)?.has('trade|KRW-ETH|'), { message: 'trade KRW-ETH on the wire' });
    await waitFor(() => goodRec.count() > 5 && refRec.count() > 5, { step: tick });

    expect(goodRec.errors).toEqual([]);
    expect(badRec.errors).toEqual([]); // the rejected promise was the report
    expect(badRec.events).toEqual([]);
    expect(refRec.errors).toHaveLength(1);
    expect(mock.received.some((m) => m.data.includes('krw-btc'))).toBe(false);
    expect(mock.stats().requestErrors).toBe(0);
    expect(hubErrors).toEqual([]);
  });

  it('a throwing callback: UpbitCallbackError on its own component, everyone keeps receiving', async () => {
    const { hub, tick, hubErrors } = await startSystem();
    const boom = new Error('user bug');
    const thrower = hub.client('thrower');
    const throwerErrors: UpbitError[] = [];
    thrower.component.onError((e) => throwerErrors.push(e));
    let calls = 0;
    const tickerSubErrors: UpbitError[] = [];
    await thrower.subscribeTicker(['KRW-BTC'], () => {
      calls++;
      throw boom;
    }, { onError: (e) => tickerSubErrors.push(e) });
    // Another subscription of the same client, whose callback is fine: not its business.
    const tradeSubErrors: UpbitError[] = [];
    let trades = 0;
    await thrower.subscribeTrade(['KRW-ETH'], () => trades++, { onError: (e) => tradeSubErrors.push(e) });
    // A second listener of the same component, after the throwing one, still runs.
    let sibling = 0;
    thrower.component.on('ticker', () => sibling++);

    const other = hub.client('other');
    const otherRec = new Recorder(other.component, hub);
    let otherCalls = 0;
    await other.subscribeTicker(['KRW-BTC'], () => otherCalls++);

    await waitFor(() => calls >= 5 && otherCalls >= 5 && trades >= 5, { step: tick, message: 'every callback called repeatedly' });
    expect(throwerErrors.length).toBe(calls);
    expect(tickerSubErrors.length).toBe(calls);
    expect(tradeSubErrors).toEqual([]);
    for (const e of throwerErrors) {
      expect(e).toBeInstanceOf(UpbitCallbackError);
      expect(e.code).toBe('CALLBACK');
      expect(e.cause).toBe(boom);
    }
    expect(sibling).toBe(calls);
    expect(otherRec.errors).toEqual([]);
    expect(hubErrors).toEqual([]);
    expect(hub.status().public).toBe('open');
  });

  it('malformed frames: UpbitDecodeError on the hub, nothing else breaks', async () => {
    const { mock, hub, tick, hubErrors } = await startSystem();
    const a = hub.client('a');
    const aRec = new Recorder(a.component, hub);
    await a.subscribeTicker(['KRW-BTC'], () => {});
    const b = hub.spawnComponent('b');
    const bRec = new Recorder(b, hub);
    b.send({ type: 'SUBSCRIBE', channel: 'trade', codes: ['KRW-ETH'] });
    await waitFor(() => aRec.count() > 0 && bRec.count() > 0, { step: tick });
    const epoch = hub.status().epochs.public;
    const conn = liveConnection(mock)!;

    for (const kind of MALFORMED_KINDS) {
      const before = hubErrors.length;
      mock.sendMalformed(kind, 'public');
      await waitFor(() => hubErrors.length > before, { message: `a decode error for ${kind}` });
      const { error, componentId } = hubErrors[hubErrors.length - 1];
      expect(error, kind).toBeInstanceOf(UpbitDecodeError);
      expect(error.code, kind).toMatch(/^DECODE_/);
      expect(componentId).toBeUndefined();
    }
    expect(hubErrors).toHaveLength(MALFORMED_KINDS.length);
    expect(hub.status().metrics.decodeErrors).toBe(MALFORMED_KINDS.length);

    // Same socket, same epoch, data still flowing, no component saw an error.
    const marks = [aRec.count(), bRec.count()];
    await waitFor(() => aRec.count() > marks[0] + 5 && bRec.count() > marks[1] + 5, { step: tick });
    expect(hub.status().epochs.public).toBe(epoch);
    expect(liveConnection(mock)!.id).toBe(conn.id);
    expect(aRec.errors).toEqual([]);
    expect(bRec.errors).toEqual([]);
  });

  it('an Upbit error frame naming no code: what the last request added is refused, to its owner only; the rest keeps flowing', async () => {
    const { mock, hub, tick, hubErrors } = await startSystem();
    const a = hub.client('a');
    const aRec = new Recorder(a.component, hub);
    const aSub = await a.subscribeTicker(['KRW-BTC'], () => {});
    await waitFor(() => liveUnion(mock)?.size === 1);
    const b = hub.spawnComponent('b');
    const bRec = new Recorder(b, hub);
    const bId = b.send({ type: 'SUBSCRIBE', channel: 'trade', codes: ['KRW-ETH'] })!;
    await waitFor(() => liveUnion(mock)?.size === 2);
    await waitFor(() => aRec.count() > 0 && bRec.count() > 0, { step: tick });
    const epoch = hub.status().epochs.public;
    const conn = liveConnection(mock)!;
    const sent = requestsOf(conn).length;

    mock.sendError('INVALID_PARAM', 'something in your request is off', 'public');
    await waitFor(() => bRec.errors.length > 0, { message: 'the server error for b' });
    const [e] = bRec.errors;
    expect(e).toBeInstanceOf(UpbitServerError);
    expect(e!.code).toBe('SERVER_ERROR');
    expect((e as UpbitServerError).serverName).toBe('INVALID_PARAM');
    expect((e as UpbitServerError).serverMessage).toBe('something in your request is off');
    expect(b.subscription(bId)?.status).toBe('failed');
    expect(b.subscription(bId)?.error).toBe(e);
    // The previous union is re-sent once, without b's trade: never the refused request again.
    const reqs = () => requestsOf(mock.connection(conn.id)!);
    await waitFor(() => reqs().length === sent + 1, { message: 'the previous union re-sent' });
    expect(sorted(unionOf(reqs().at(-1)!))).toEqual(['ticker|KRW-BTC|']);

    // A request error does not cost the connection; a's stream never paused; nobody else heard.
    const mark = aRec.count();
    await waitFor(() => aRec.count() > mark + 5, { step: tick });
    expect(hub.status().epochs.public).toBe(epoch);
    expect(hub.status().metrics.serverErrors).toBe(1);
    expect(aRec.errors).toEqual([]);
    expect(aSub.status).toBe('active');
    expect(bRec.errors).toHaveLength(1);
    expect(hubErrors).toEqual([]);
    expect(reqs().length).toBe(sent + 1); // and nothing more: no retry storm
  });
});
