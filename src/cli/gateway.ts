/**
 * `upbit-ws gateway`: run a gateway until Ctrl-C (SIGINT) or SIGTERM.
 *
 *   upbit-ws gateway --nats nats://HOST:PORT [--url URL] [--private-url URL] [--rest-url URL] [--mock]
 *                    [--account NAME] [--id NAME] [--lease-ttl MS] [--max-msgs-per-subject N] [--max-age MS]
 *                    [--inspect]
 *
 * Upbit keys come from UPBIT_ACCESS_KEY / UPBIT_SECRET_KEY; NATS credentials from NATS_TOKEN or
 * NATS_USER / NATS_PASS (never from argv, where `ps` shows them). `--mock` runs an embedded mock
 * exchange and serves it (for trying the gateway without Upbit). Start a second one with the same
 * `--nats` for a standby. `runGatewayCli(argv, { signal, out })` is callable from code and tests.
 */
import { parseArgs } from 'node:util';
import { startGateway, type Gateway } from '../gateway/index.js';
import type { UpbitHubOptions } from '../index.js';
import { createInspectServer } from './inspect-server.js';

export interface GatewayCliIo {
  /** Stops the gateway, like SIGINT. */
  readonly signal?: AbortSignal;
  /** @default stdout */
  readonly out?: (line: string) => void;
  /** @default process.env */
  readonly env?: Record<string, string | undefined>;
}

export async function runGatewayCli(argv: readonly string[], io: GatewayCliIo = {}): Promise<{ gateway: Gateway; stopped: Promise<void> }> {
  const out = io.out ?? ((l: string) => process.stdout.write(`${l}\n`));
  const env = io.env ?? process.env;
  const { values } = parseArgs({
    args: argv[0] === 'gateway' ? argv.slice(1) : [...argv],
    options: {
      nats: { type: 'string' },
      url: { type: 'string' },
      'private-url': { type: 'string' },
      'rest-url': { type: 'string' },
      mock: { type: 'boolean', default: false },
      account: { type: 'string' },
      id: { type: 'string' },
      'lease-ttl': { type: 'string' },
      'max-msgs-per-subject': { type: 'string' },
      'max-age': { type: 'string' },
      inspect: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (!values.nats) throw new TypeError('--nats nats://HOST:PORT is required');
  const num = (name: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`--${name} must be a positive integer, got ${v}`);
    return n;
  };

  let mock: { close(): Promise<void>; keys: readonly { accessKey: string; secretKey: string }[] } | undefined;
  const hub: UpbitHubOptions = {};
  if (values.mock) {
    const { startMockUpbit } = await import('../mock/index.js');
    const m = await startMockUpbit({ rate: 10 });
    mock = m;
    Object.assign(hub, { url: m.url, privateUrl: m.privateUrl, restUrl: m.restUrl, credentials: m.keys[0] });
    out(`mock Upbit exchange on ${m.url}`);
  }
  if (values.url) hub.url = values.url;
  if (values['private-url']) hub.privateUrl = values['private-url'];
  if (values['rest-url']) hub.restUrl = values['rest-url'];
  if (env.UPBIT_ACCESS_KEY && env.UPBIT_SECRET_KEY) hub.credentials = { accessKey: env.UPBIT_ACCESS_KEY, secretKey: env.UPBIT_SECRET_KEY };

  // --inspect: the inspector page (tree, statecharts, health, metrics, /metrics, /healthz) of the
  // gateway's hub, while it holds one (a standby has none yet).
  let gatewayRef: Gateway | undefined;
  const inspector = values.inspect ? createInspectServer({ status: () => gatewayRef?.hub()?.status(), hub: () => gatewayRef?.hub() }) : undefined;
  if (inspector) hub.inspect = inspector.inspect;
  let page: { url: string; close(): Promise<void> } | undefined;
  let gateway: Gateway;
  try {
    page = await inspector?.listen();
    gateway = await startGateway({
      nats: {
        servers: values.nats,
        ...(env.NATS_TOKEN ? { token: env.NATS_TOKEN } : {}),
        ...(env.NATS_USER ? { user: env.NATS_USER, pass: env.NATS_PASS } : {}),
      },
      hub,
      account: values.account,
      id: values.id,
      lease: { ttlMs: num('lease-ttl', values['lease-ttl']) },
      stream: { maxMsgsPerSubject: num('max-msgs-per-subject', values['max-msgs-per-subject']), maxAgeMs: num('max-age', values['max-age']) },
    });
    gatewayRef = gateway;
  } catch (err) {
    await page?.close();
    await mock?.close(); // nothing may keep the process alive after a failed start
    throw err;
  }
  gateway.onError((e) => out(`error: ${e.name} ${(e as { code?: string }).code ?? ''}: ${e.message}`));
  out(`gateway ${gateway.id} on ${values.nats} (standing by until it holds the lease)`);
  if (page) out(`inspector ${page.url}`);
  const watch = setInterval(() => {
    const h = gateway.health();
    const line = `${gateway.isLeader() ? 'leader' : 'standby'} public=${h.public} private=${h.private} consumers=${gateway.consumers().length}`;
    if (line !== last) out(line);
    last = line;
  }, 250);
  let last = '';

  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => (resolveStopped = r));
  let stopping = false;
  const onSignal = () => void stop();
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    clearInterval(watch);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await gateway.stop();
    await page?.close();
    await mock?.close();
    out('gateway stopped');
    resolveStopped();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  io.signal?.addEventListener('abort', onSignal, { once: true });
  return { gateway, stopped };
}
