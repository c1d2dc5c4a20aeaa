/**
 * A component's listeners as its subscriptions call them (`Component.tap`, the last hop before user
 * code): typed listeners first, then `message` ones, each list read in place. The component runs over
 * a stand-in actor (tap never touches it); the hub's end-to-end path is in test/integration.
 */
import { describe, expect, it } from 'vitest';
import type { Actor, AnyActorLogic } from 'xstate';
import { Component, type ComponentHost } from '../../src/actors/component.js';
import type { SubscriptionHandle } from '../../src/actors/subscription.js';
import type { DataMessage } from '../../src/io/index.js';
import type { Stamped } from '../../src/actors/router.js';

function component() {
  const actor = { on: () => ({ unsubscribe() {} }), subscribe: () => ({ unsubscribe() {} }), send() {} } as unknown as Actor<AnyActorLogic>;
  const host = { removed() {}, router: {} } as unknown as ComponentHost;
  return new Component('c', actor, host);
}
const msg = (type: string) => ({ type, code: 'KRW-BTC', epoch: 1 }) as unknown as Stamped<DataMessage>;
const sub = { reportError() {} } as unknown as SubscriptionHandle;

describe('Component listeners', () => {
  it('typed listeners, then message listeners; off stops each, on again resumes', () => {
    const c = component();
    const got: string[] = [];
    const offTicker = c.on('ticker', () => void got.push('ticker'));
    const offAll = c.on('message', (m) => void got.push(`message:${m.type}`));
    c.tap(msg('ticker'), sub);
    c.tap(msg('trade'), sub);
    expect(got).toEqual(['ticker', 'message:ticker', 'message:trade']);
    offAll();
    c.tap(msg('ticker'), sub);
    expect(got.slice(3)).toEqual(['ticker']);
    c.on('message', (m) => void got.push(`again:${m.type}`));
    offTicker();
    c.tap(msg('ticker'), sub);
    expect(got.slice(4)).toEqual(['again:ticker']);
  });

  it('a message listener added by a typed listener hears the same message; one removed during dispatch finishes the round', () => {
    const c = component();
    const got: string[] = [];
    let offLate: (() => void) | undefined;
    c.on('ticker', () => {
      offLate ??= c.on('message', () => void got.push('late'));
    });
    c.tap(msg('ticker'), sub);
    expect(got).toEqual(['late']);
    const offSelf: () => void = c.on('message', () => {
      got.push('self');
      offSelf();
    });
    c.on('message', () => void got.push('after'));
    c.tap(msg('ticker'), sub);
    expect(got.slice(1)).toEqual(['late', 'self', 'after']);
    c.tap(msg('ticker'), sub);
    expect(got.slice(4)).toEqual(['late', 'after']);
  });

  it('stop drops every listener', async () => {
    const c = component();
    const got: string[] = [];
    c.on('message', () => void got.push('x'));
    await c.stop();
    c.tap(msg('ticker'), sub);
    expect(got).toEqual([]);
  });
});
