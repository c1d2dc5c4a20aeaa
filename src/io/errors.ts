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
  // user code
  | 'CALLBACK'
  | 'STOPPED';

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
