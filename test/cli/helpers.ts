/**
 * Running the `upbit-ws` CLI as a user does: a child process (node + tsx on src/cli/main.ts),
 * stdout and stderr read as text, lines awaited by content (never by time).
 *
 * How to read: `spawnCli(args)` returns a `Cli` whose `lines(stream)` is what was printed so far,
 * `waitForLine(pattern)` resolves when such a line appears (or fails, quoting the output, when the
 * process ends without it), and `exit` resolves with the exit code and signal.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Cli {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  lines(stream?: 'stdout' | 'stderr'): string[];
  waitForLine(pattern: RegExp, stream?: 'stdout' | 'stderr'): Promise<string>;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Environment without the variables the CLI reads, so a developer's shell cannot leak in. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of ['UPBIT_URL', 'UPBIT_ACCESS_KEY', 'UPBIT_SECRET_KEY', 'FORCE_COLOR']) delete env[k];
  return { ...env, ...extra };
}

export function spawnCli(args: readonly string[], options: { env?: Record<string, string>; script?: string } = {}): Cli {
  const script = options.script ?? 'src/cli/main.ts';
  const nodeArgs = script.endsWith('.ts') ? ['--import', 'tsx', script] : [script];
  const child = spawn(process.execPath, [...nodeArgs, ...args], { cwd: ROOT, env: cleanEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
  const text = { stdout: '', stderr: '' };
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const w of [...waiters]) w();
  };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => ((text.stdout += d), wake()));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => ((text.stderr += d), wake()));
  let ended = false;
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => {
      ended = true;
      wake();
      resolve({ code, signal });
    }),
  );
  onTestFinished(() => {
    if (!ended) child.kill('SIGKILL');
  });
  const lines = (stream: 'stdout' | 'stderr' = 'stdout') => text[stream].split('\n').filter((l) => l.length > 0);
  return {
    child,
    stdout: () => text.stdout,
    stderr: () => text.stderr,
    lines,
    exit,
    waitForLine(pattern, stream = 'stdout') {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = lines(stream).find((l) => pattern.test(l));
          if (hit !== undefined) {
            waiters.delete(check);
            resolve(hit);
          } else if (ended) {
            waiters.delete(check);
            reject(new Error(`no ${stream} line matching ${pattern}; stdout:\n${text.stdout}\nstderr:\n${text.stderr}`));
          }
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** A loopback port that was just free: listened on, then closed (nothing listens there now). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** The one-line failure contract: exactly one stderr line, no stack frame, nothing on stdout. */
export function expectOneLine(cli: Cli): string {
  const err = cli.lines('stderr');
  if (err.length !== 1) throw new Error(`expected one stderr line, got ${err.length}:\n${cli.stderr()}`);
  if (/^\s+at /m.test(cli.stderr())) throw new Error(`stack trace on stderr:\n${cli.stderr()}`);
  return err[0];
}
