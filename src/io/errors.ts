/**
 * The error hierarchy. Every error the library raises or reports is an `UpbitError` with a stable
 * string `code` you can switch on, a `name` equal to its class name, and the original `cause`.
 * Messages never contain secrets (access key, secret key, tokens).
 */

export type UpbitErrorCode =
  // decoding a frame
  | 'DECODE_EMPTY'
  | 'DECODE_UTF8'
  | 'DECODE_JSON'
  | 'DECODE_UNKNOWN_TYPE'
  | 'DECODE_FIELD'
  // validating a subscription wish
  | 'INVALID_CODE'
  | 'INVALID_TYPE'
  | 'INVALID_OPTION'
  // a well-formed market code that Upbit does not list
  | 'UNKNOWN_MARKET'
  // the server said no (Upbit's own names, §6.1)
  | 'SERVER_ERROR'
  // connection and auth
  | 'CONNECTION'
  | 'UNAUTHORIZED'
  | 'RATE_LIMITED'
  // REST calls (rest.ts)
  | 'REST_ERROR'
  | 'TIMEOUT'
  | 'ABORTED'
  // user code and usage
  | 'CALLBACK'
  | 'USAGE'
  | 'CONFLICT'
  | 'STOPPED'
  // delivery
  | 'BACKPRESSURE';

export class UpbitError extends Error {
  override readonly name: string = 'UpbitError';
  readonly code: UpbitErrorCode;
  constructor(code: UpbitErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** A frame could not be decoded: empty, invalid UTF-8, malformed JSON, unknown type, or a field of the wrong type. */
export class UpbitDecodeError extends UpbitError {
  override readonly name = 'UpbitDecodeError';
  /** Byte or character offset into the frame where decoding stopped, when known. */
  readonly offset: number | undefined;
  constructor(code: Extract<UpbitErrorCode, `DECODE_${string}`>, message: string, offset?: number, cause?: unknown) {
    super(code, message, { cause });
    this.offset = offset;
  }
}

/** A subscription wish is malformed (bad market code, depth suffix where none is allowed, codes on myAsset...). */
export class UpbitValidationError extends UpbitError {
  override readonly name = 'UpbitValidationError';
  constructor(code: Extract<UpbitErrorCode, `INVALID_${string}`> | 'UNKNOWN_MARKET', message: string) {
    super(code, message);
  }
}

/** The Upbit error names documented in §6.1, plus any the server invents. */
export type UpbitServerErrorName =
  | 'INVALID_AUTH'
  | 'WRONG_FORMAT'
  | 'NO_TICKET'
  | 'NO_TYPE'
  | 'NO_CODES'
  | 'INVALID_PARAM'
  | 'Too Many Requests'
  | "I'm a teapot"
  | (string & {});

/** An Upbit error frame: `{"error":{"name":"INVALID_AUTH","message":"..."}}`. */
export class UpbitServerError extends UpbitError {
  override readonly name = 'UpbitServerError';
  readonly serverName: UpbitServerErrorName;
  readonly serverMessage: string | null;
  constructor(serverName: UpbitServerErrorName, serverMessage: string | null) {
    super('SERVER_ERROR', `Upbit error ${serverName}${serverMessage ? `: ${serverMessage}` : ''}`);
    this.serverName = serverName;
    this.serverMessage = serverMessage;
  }

  /**
   * Turn an error frame (text or already-parsed object) into an `UpbitServerError`, or `undefined`
   * when it is not an error frame.
   */
  static parse(frame: string | { error?: unknown }): UpbitServerError | undefined {
    let obj: unknown = frame;
    if (typeof frame === 'string') {
      try {
        obj = JSON.parse(frame);
      } catch {
        return undefined;
      }
    }
    const err = (obj as { error?: unknown } | null)?.error;
    if (!err || typeof err !== 'object') return undefined;
    const { name, message } = err as { name?: unknown; message?: unknown };
    if (typeof name !== 'string' && typeof name !== 'number') return undefined;
    return new UpbitServerError(String(name), typeof message === 'string' ? message : null);
  }
}

/** The socket could not be opened or was lost, and recovery gave up. */
export class UpbitConnectionError extends UpbitError {
  override readonly name = 'UpbitConnectionError';
  /** The HTTP status when the handshake was answered without an upgrade (401, 429, 503...). */
  readonly status: number | undefined;
  constructor(message: string, cause?: unknown, status?: number) {
    super('CONNECTION', message, { cause });
    this.status = status;
  }
}

/**
 * Authentication was refused: wrong keys, a token the server rejects, or a `getToken()` that
 * rejected with this error. Fatal: the private connection stops retrying until told to.
 */
export class UnauthorizedError extends UpbitError {
  override readonly name = 'UnauthorizedError';
  constructor(message = 'Upbit refused the credentials', cause?: unknown) {
    super('UNAUTHORIZED', message, { cause });
  }
}

/** A user callback threw; the error is reported to the component that registered it and nothing else breaks. */
export class UpbitCallbackError extends UpbitError {
  override readonly name = 'UpbitCallbackError';
  constructor(message: string, cause: unknown) {
    super('CALLBACK', message, { cause });
  }
}

/**
 * The library was used in a way it cannot serve: a duplicate component name, an unknown channel, a
 * subscription id used twice. Thrown (or reported) to the caller only.
 */
export class UpbitUsageError extends UpbitError {
  override readonly name = 'UpbitUsageError';
  constructor(message: string) {
    super('USAGE', message);
  }
}

/**
 * Two wishes that Upbit cannot serve at once on one connection (two orderbook levels of one code):
 * the later wish gets this error; the earlier keeps its stream unchanged.
 */
export class UpbitConflictError extends UpbitError {
  override readonly name = 'UpbitConflictError';
  constructor(message: string) {
    super('CONFLICT', message);
  }
}

/** The hub (or the component) was stopped: nothing more can be subscribed through it. */
export class UpbitStoppedError extends UpbitError {
  override readonly name = 'UpbitStoppedError';
  constructor(message = 'the hub is stopped') {
    super('STOPPED', message);
  }
}

/**
 * A subscription's consumer fell behind and its delivery policy dropped messages. Reported once per
 * overflow episode (the episode ends when the subscription's queue has drained to empty);
 * `stats().dropped` counts every dropped message.
 */
export class UpbitBackpressureError extends UpbitError {
  override readonly name = 'UpbitBackpressureError';
  /** The subscription's label, e.g. `chart/ticker#3`. */
  readonly subscription: string;
  /** The delivery policy, e.g. `drop_oldest (bound 10000)`. */
  readonly policy: string;
  /** Messages dropped by this subscription so far, when the error was raised. */
  readonly dropped: number;
  constructor(
    subscription: string,
    policy: string,
    counts: { readonly delivered: number; readonly dropped: number; readonly coalesced: number; readonly queued: number },
  ) {
    super(
      'BACKPRESSURE',
      `${subscription}: the consumer is too slow for its ${policy} delivery policy; ` +
        `${counts.dropped} dropped, ${counts.coalesced} coalesced, ${counts.queued} queued, ${counts.delivered} delivered so far`,
    );
    this.subscription = subscription;
    this.policy = policy;
    this.dropped = counts.dropped;
  }
}

// ─── REST (rest.ts, limiter.ts) ─────────────────────────────────────────────────────────────────

/**
 * A REST call answered 4xx/5xx with Upbit's body `{"error":{"name":400|"string","message":...}}`.
 * `serverName` is a number on quotation endpoints and a string code on exchange ones (§6.2); both
 * are null when the body was not Upbit's error shape (a proxy's HTML page, say).
 */
export class UpbitRestError extends UpbitError {
  override readonly name = 'UpbitRestError';
  readonly status: number;
  readonly serverName: number | string | null;
  readonly serverMessage: string | null;
  constructor(status: number, serverName: number | string | null, serverMessage: string | null, path: string) {
    super('REST_ERROR', `Upbit REST ${path} answered ${status}${serverName !== null ? ` ${serverName}` : ''}${serverMessage ? `: ${serverMessage}` : ''}`);
    this.status = status;
    this.serverName = serverName;
    this.serverMessage = serverMessage;
  }
}

/**
 * The rate limiter (or Upbit, with 429/418) will not let a request through before the caller's
 * deadline. `retryInMs` is how long until it would, when known.
 */
export class UpbitRateLimitError extends UpbitError {
  override readonly name = 'UpbitRateLimitError';
  readonly group: string;
  readonly retryInMs: number | undefined;
  /** The HTTP status that caused it (429, 418), undefined when the local limiter refused. */
  readonly status: number | undefined;
  constructor(group: string, message: string, retryInMs?: number, status?: number) {
    super('RATE_LIMITED', message);
    this.group = group;
    this.retryInMs = retryInMs;
    this.status = status;
  }
}

/** A REST call ran out of time (`TIMEOUT`) or its `AbortSignal` fired (`ABORTED`). */
export class UpbitAbortError extends UpbitError {
  override readonly name = 'UpbitAbortError';
  constructor(code: 'TIMEOUT' | 'ABORTED', message: string, cause?: unknown) {
    super(code, message, { cause });
  }
}
