/**
 * A real nats-server for tests (Debian's package, 2.9): 127.0.0.1, a free port, JetStream with a
 * temporary store directory. `restart()` stops it and starts it again on the same port and store
 * (a nats-server restart as consumers see it); `stop()` ends it and removes the store.
 *
 *   const nats = await startNatsServer();   // nats.url = 'nats://127.0.0.1:<port>'
 *   ...
 *   await nats.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface NatsServer {
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function launch(port: number, storeDir: string, config: string | undefined): Promise<ChildProcess> {
  const args = ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir, ...(config ? ['-c', config] : [])];
  const child = spawn('nats-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let log = '';
    const onData = (b: Buffer) => {
      log += b.toString();
      if (log.includes('Server is ready')) {
        child.stderr!.off('data', onData);
        child.stderr!.resume(); // keep draining so the server never blocks on a full pipe
        resolve(child);
      }
    };
    child.stderr!.on('data', onData);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`nats-server exited (${code}) before it was ready:\n${log}`)));
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => child.once('exit', () => r()));
}

/** `config`: nats-server configuration text (e.g. an `authorization` block), written next to the store. */
export async function startNatsServer(config?: string): Promise<NatsServer> {
  const storeDir = mkdtempSync(join(tmpdir(), 'upbit-ws-nats-'));
  const port = await freePort();
  let configFile: string | undefined;
  if (config !== undefined) writeFileSync((configFile = join(storeDir, 'nats.conf')), config);
  let child = await launch(port, storeDir, configFile);
  let stopped = false;
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    async restart() {
      child.kill('SIGTERM');
      await exited(child);
      child = await launch(port, storeDir, configFile);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      child.kill('SIGTERM');
      await exited(child);
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}
