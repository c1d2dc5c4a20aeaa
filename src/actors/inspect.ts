/**
 * Inspection: see the actor system live, without leaking a secret.
 *
 * - `redactInspection(observer)` wraps ANY inspection observer; the hub always applies it, so the
 *   `Authorization` header in the private connection's context, tokens and keys never reach an
 *   inspector (keys named like secrets and JWT-shaped strings become "[redacted]").
 * - `createOfflineInspector()` records a bounded trace in memory and can serve a self-contained
 *   page on 127.0.0.1 (no internet, no external assets) or write the trace as JSON.
 * - `connectStatelyInspector()` is the opt-in for Stately's viewer (@statelyai/inspect, the
 *   XState v5 inspector; @xstate/inspect is v4-only and crashes on v5). It is an optional peer
 *   dependency, loaded only when you call this.
 */
import { createServer, type Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import type { InspectionEvent, Observer } from 'xstate';

const SECRET_KEY = /authorization|token|secret|access_?key|password|credential/i;
const JWT = /\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*/g;

/** A deep copy of `value` with secrets replaced. Functions and class instances become short labels. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.replace(JWT, '[redacted]');
  if (value === null || typeof value !== 'object') return typeof value === 'function' ? '[function]' : value;
  if (depth > 8) return '[…]';
  if (Array.isArray(value)) return value.slice(0, 200).map((v) => redact(v, depth + 1));
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
      return redact((value as { toJSON(): unknown }).toJSON(), depth + 1);
    }
    if (value instanceof Error) return { name: value.name, message: redact(value.message) };
    return `[${proto?.constructor?.name ?? 'object'}]`;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? '[redacted]' : redact(v, depth + 1);
  return out;
}

const idOf = (ref: { sessionId: string }): string => (ref as { path?: string }).path ?? (ref as { id?: string }).id ?? ref.sessionId;

type RefLike = { id?: string; sessionId: string; _parent?: RefLike };
/**
 * `supervisor/publicConnection/recovery`: an actor's ids from the root down. Ids are unique among
 * siblings only (both connections have a `recovery` child); the path is unique in the tree.
 */
export function actorPath(ref: RefLike): string {
  const ids: string[] = [];
  for (let r: RefLike | undefined = ref; r; r = r._parent) ids.push(r.id ?? r.sessionId);
  return ids.reverse().join('/');
}

export interface TraceEvent {
  at: number;
  kind: InspectionEvent['type'];
  actor: string;
  source?: string;
  event?: unknown;
  state?: unknown;
  status?: string;
}

/** Turn an inspection event into a plain, redacted record. */
export function toTraceEvent(ev: InspectionEvent, at: number): TraceEvent {
  const actor = idOf(ev.actorRef);
  const base: TraceEvent = { at, kind: ev.type, actor };
  if (ev.type === '@xstate.event') {
    base.source = ev.sourceRef ? idOf(ev.sourceRef) : undefined;
    base.event = redact(ev.event);
  } else if (ev.type === '@xstate.snapshot') {
    const s = ev.snapshot as { value?: unknown; status?: string; context?: unknown };
    base.event = redact(ev.event);
    base.state = redact({ value: s.value, context: s.context });
    base.status = s.status;
  } else if (ev.type === '@xstate.microstep' || ev.type === '@xstate.action') {
    base.event = redact((ev as { event?: unknown }).event);
  }
  return base;
}

/** Wrap an observer so it only ever sees redacted copies. */
export function redactInspection(
  observer: Observer<InspectionEvent> | ((event: InspectionEvent) => void),
): (event: InspectionEvent) => void {
  const next = typeof observer === 'function' ? observer : observer.next?.bind(observer);
  return (ev) => {
    if (!next) return;
    const safeSnapshot = () => {
      const s = ev.actorRef.getSnapshot() as { value?: unknown; status?: string; context?: unknown };
      return { value: s?.value, status: s?.status, context: redact(s?.context) };
    };
    const raw = ev.actorRef as unknown as RefLike;
    const parent = raw._parent ? { id: raw._parent.id, sessionId: raw._parent.sessionId, path: actorPath(raw._parent) } : undefined;
    // Only ids, the path and the parent's ids: never the real ref, whose `.system` reaches every actor.
    const actorRef = { id: raw.id ?? raw.sessionId, sessionId: raw.sessionId, path: actorPath(raw), _parent: parent, getSnapshot: safeSnapshot };
    const copy: Record<string, unknown> = { ...ev, actorRef, rootId: ev.rootId };
    if ('event' in ev) copy.event = redact(ev.event);
    if ('snapshot' in ev) {
      const s = ev.snapshot as { value?: unknown; status?: string; context?: unknown };
      copy.snapshot = { value: s.value, status: s.status, context: redact(s.context) };
    }
    if ('sourceRef' in ev && ev.sourceRef) {
      const src = ev.sourceRef as unknown as RefLike;
      copy.sourceRef = { id: src.id ?? src.sessionId, sessionId: src.sessionId, path: actorPath(src) };
    }
    try {
      next(copy as unknown as InspectionEvent);
    } catch {
      // an inspector must never break the system it inspects
    }
  };
}

export interface OfflineInspector {
  /** Pass as `createUpbitHub({ inspect: inspector.inspect })`. */
  readonly inspect: (event: InspectionEvent) => void;
  /** The recorded trace (oldest first, at most `maxEvents`). */
  events(): readonly TraceEvent[];
  /** Latest state of every actor seen. */
  actors(): Record<string, { state: unknown; status?: string; at: number }>;
  /** Write the trace as JSON (traces are not committed: the path is yours). */
  writeTrace(path: string): void;
  /** Serve a live, self-contained page on 127.0.0.1. */
  serve(port?: number): Promise<{ url: string; close(): Promise<void> }>;
}

export function createOfflineInspector(options: { maxEvents?: number; now?: () => number } = {}): OfflineInspector {
  const max = options.maxEvents ?? 5_000;
  const now = options.now ?? Date.now;
  const trace: TraceEvent[] = [];
  const latest: Record<string, { state: unknown; status?: string; at: number }> = {};
  const inspect = (ev: InspectionEvent) => {
    const t = toTraceEvent(ev, now());
    if (t.kind === '@xstate.snapshot') latest[t.actor] = { state: t.state, status: t.status, at: t.at };
    if (t.kind === '@xstate.microstep' || t.kind === '@xstate.action') return; // too chatty for a trace
    trace.push(t);
    if (trace.length > max) trace.splice(0, trace.length - max);
  };
  const dump = () => JSON.stringify({ actors: latest, events: trace });
  return {
    inspect,
    events: () => trace,
    actors: () => latest,
    writeTrace: (path) => writeFileSync(path, dump()),
    serve: (port = 0) =>
      new Promise((resolve) => {
        const server: Server = createServer((req, res) => {
          if (req.url === '/trace.json') {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(dump());
            return;
          }
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
          res.end(PAGE);
        });
        server.listen(port, '127.0.0.1', () => {
          const addr = server.address() as { port: number };
          resolve({
            url: `http://127.0.0.1:${addr.port}/`,
            close: () => new Promise<void>((r) => server.close(() => r())),
          });
        });
      }),
  };
}

/** Opt-in: forward (redacted) inspection to Stately's inspector. Needs `npm i @statelyai/inspect`. */
export async function connectStatelyInspector(options: { url?: string } = {}) {
  let mod: { createWebSocketInspector(o?: { url?: string }): { inspect: Observer<InspectionEvent>; stop(): void } };
  try {
    mod = (await import('@statelyai/inspect')) as unknown as typeof mod;
  } catch (cause) {
    throw new Error('connectStatelyInspector needs the optional package @statelyai/inspect (npm i @statelyai/inspect)', {
      cause,
    });
  }
  const inspector = mod.createWebSocketInspector(options.url ? { url: options.url } : undefined);
  return { inspect: redactInspection(inspector.inspect), stop: () => inspector.stop() };
}

const PAGE = `<!doctype html><meta charset="utf-8"><title>upbit-ws inspector</title>
<style>body{font:13px ui-monospace,monospace;margin:1em}h2{font-size:14px}td,th{padding:2px 8px;text-align:left;vertical-align:top}
tr:nth-child(even){background:#f4f4f4}pre{margin:0;white-space:pre-wrap}</style>
<h1>upbit-ws actors (offline inspector)</h1><p>Refreshes every second. Secrets are redacted.</p>
<h2>Actors</h2><table id=a></table><h2>Recent events</h2><table id=e></table>
<script>
const esc=s=>String(s).replace(/[&<>]/g,c=>({'&':'&amp;','<':'&lt;','>':'&gt;'}[c]));
async function tick(){try{const r=await fetch('trace.json');const t=await r.json();
document.getElementById('a').innerHTML='<tr><th>actor<th>status<th>state'+Object.entries(t.actors).map(([k,v])=>'<tr><td>'+esc(k)+'<td>'+esc(v.status)+'<td><pre>'+esc(JSON.stringify(v.state&&v.state.value))+'</pre>').join('');
document.getElementById('e').innerHTML='<tr><th>time<th>actor<th>event'+t.events.slice(-60).reverse().filter(e=>e.kind==='@xstate.event').map(e=>'<tr><td>'+new Date(e.at).toISOString().slice(11,23)+'<td>'+esc(e.actor)+'<td><pre>'+esc(JSON.stringify(e.event))+'</pre>').join('');}catch(e){}}
setInterval(tick,1000);tick();
</script>`;
