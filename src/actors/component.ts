/**
 * Component actors as users hold them: `hub.spawnComponent(id)` returns a `ComponentRef`, a
 * handle over one running component.machine actor plus its delivery step.
 *
 *   chart.send({ type: 'SUBSCRIBE', channel: 'ticker', codes: ['KRW-BTC'] });
 *   chart.on('ticker', (t) => draw(t.tradePrice));
 *   chart.onError((e) => console.warn(e.code, e.message));
 *
 * `send` validates a SUBSCRIBE before the machine sees it: a bad market code becomes an
 * `UpbitValidationError` on THIS component's error listeners and never reaches the wire, so
 * every other component keeps receiving.
 */
import { createActor, type Actor, type ActorOptions, type AnyActorLogic } from 'xstate';
import type { ComponentEvent } from '../machines/component.machine.js';
import { UpbitError, validateWish, type DataType, type Wish } from '../io/index.js';
import { Delivery, concerns, type ErrorListener, type Listener } from './delivery.js';
import type { Stamped } from './router.js';
import type { DataMessage, MessageOf } from '../io/index.js';

export type { ComponentEvent };

/** A wire type (`ticker`, `candle.1m`, `myOrder`...) or `message` for every type. */
export type ChannelName = DataType | 'message';
/** What a listener on `channel` receives. */
export type ChannelMessage<C extends string> = C extends 'message' ? DataMessage : MessageOf<C>;

export interface ComponentRef extends AsyncDisposable {
  readonly id: string;
  /** SUBSCRIBE / UNSUBSCRIBE / STOP, as in component.machine.ts. */
  send(event: ComponentEvent): void;
  /** Listen to one wire type (`ticker`, `candle.1m`, `myOrder`...) or `message` for all. */
  on<C extends ChannelName>(channel: C, fn: Listener<Stamped<ChannelMessage<C>>>): () => void;
  /** Typed errors meant for this component. `wish` limits them to errors about that wish. */
  onError(fn: ErrorListener, wish?: Wish): () => void;
  /** This component's current wishes. */
  wishes(): readonly Wish[];
  /** Stop: unsubscribe everything (the union shrinks) and stop the actor. */
  stop(): Promise<void>;
}

export interface ComponentHost {
  clock?: ActorOptions<AnyActorLogic>['clock'];
  inspect?: ActorOptions<AnyActorLogic>['inspect'];
  onStopped(id: string): void;
  fallbackError(error: UpbitError, componentId: string): void;
}

export class Component implements ComponentRef {
  readonly delivery: Delivery;
  readonly actor: Actor<AnyActorLogic>;
  private stopped = false;

  constructor(
    readonly id: string,
    logic: AnyActorLogic,
    private readonly host: ComponentHost,
  ) {
    this.delivery = new Delivery(id, host.fallbackError);
    this.actor = createActor(logic, {
      input: { componentId: id },
      id: `component:${id}`,
      ...(host.clock ? { clock: host.clock } : {}),
      ...(host.inspect ? { inspect: host.inspect } : {}),
    });
    this.actor.subscribe({ error: (err) => this.delivery.error(asUpbitError(err)) });
    this.actor.start();
  }

  send(event: ComponentEvent): void {
    if (this.stopped) return;
    if (event.type === 'SUBSCRIBE') {
      const { type: _t, channel, ...rest } = event;
      try {
        validateWish({ ...(rest as object), type: channel as DataType } as Wish);
      } catch (err) {
        this.delivery.error(asUpbitError(err));
        return;
      }
    }
    this.actor.send(event);
  }

  on<C extends ChannelName>(channel: C, fn: Listener<Stamped<ChannelMessage<C>>>): () => void {
    return this.delivery.on(channel, fn as unknown as Listener);
  }

  onError(fn: ErrorListener, wish?: Wish): () => void {
    if (!wish) return this.delivery.onError(fn);
    return this.delivery.onError(fn, (err) => {
      const about = (err as { wish?: Wish }).wish;
      return (!about || about.type === wish.type) && concerns(err, wish.type);
    });
  }

  wishes(): readonly Wish[] {
    return (this.actor.getSnapshot().context as { wishes: Wish[] }).wishes;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.actor.send({ type: 'STOP' });
    this.stopped = true;
    this.actor.stop();
    this.delivery.close();
    this.host.onStopped(this.id);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}

export function asUpbitError(err: unknown): UpbitError {
  if (err instanceof UpbitError) return err;
  return new UpbitError('CONNECTION', err instanceof Error ? err.message : String(err), { cause: err });
}
