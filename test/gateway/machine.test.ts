/**
 * The gateway consumer's root machine (src/machines/gateway.machine.ts), driven directly: it
 * spawns the components registry, so SPAWN/RELEASE make and stop `component:<id>` actors in its
 * tree; NATS_DOWN/NATS_UP move between connected and reconnecting; HEALTH and LEASE are recorded
 * as data; CLOSE is final and stops every child.
 */
import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { gatewayConsumerMachine } from '../../src/machines/gateway.machine.js';

const start = () => {
  const actor = createActor(gatewayConsumerMachine, { input: { consumerId: 'c1', stream: 'UPBIT', account: 'default' }, systemId: 'gateway-consumer' });
  actor.start();
  return actor;
};

describe('gatewayConsumerMachine', () => {
  it('spawns and releases component actors through its components registry', () => {
    const actor = start();
    expect(actor.system.get('components')).toBeDefined();
    actor.send({ type: 'SPAWN', id: 'bot' });
    const bot = actor.system.get('component:bot');
    expect(bot?.getSnapshot().status).toBe('active');
    actor.send({ type: 'RELEASE', id: 'bot' });
    expect(bot?.getSnapshot().status).toBe('stopped');
    expect(actor.system.get('component:bot')).toBeUndefined();
    actor.stop();
  });

  it('records the NATS link, the gateway health and the lease; CLOSE stops everything', () => {
    const actor = start();
    expect(actor.getSnapshot().value).toBe('connected');
    actor.send({ type: 'NATS_DOWN' });
    expect(actor.getSnapshot().value).toBe('reconnecting');
    actor.send({ type: 'NATS_UP' });
    expect(actor.getSnapshot().value).toBe('connected');
    const health = { gateway: 'g1', public: 'open', private: 'off', epochs: { public: 1_048_577, private: 1_048_576 } };
    actor.send({ type: 'HEALTH', health });
    actor.send({ type: 'LEASE', ok: false });
    expect(actor.getSnapshot().context).toEqual({ consumerId: 'c1', stream: 'UPBIT', account: 'default', upstream: health, leaseAnswered: false });
    actor.send({ type: 'SPAWN', id: 'bot' });
    const bot = actor.system.get('component:bot');
    actor.send({ type: 'CLOSE' });
    expect(actor.getSnapshot().status).toBe('done');
    expect(bot?.getSnapshot().status).toBe('stopped');
  });
});
