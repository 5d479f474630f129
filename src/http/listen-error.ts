import { DocstoreError } from '../errors/docstore-error.js';

export const LISTEN_ERROR_CODES = ['listen.address_in_use', 'listen.address_unavailable', 'listen.permission_denied', 'listen.failed'] as const;

export type ListenErrorCode = (typeof LISTEN_ERROR_CODES)[number];

/** A listener of `docstore serve` and the variables that set its address. */
export interface ListenerSettings {
  /** What listens, for messages: `API`, `metrics`. */
  name: string;
  host: string;
  port: number;
  hostVariable: string;
  portVariable: string;
}

/** Which listener failed and the variable that sets its address. */
export interface ListenErrorContext {
  [key: string]: unknown;
  listener: string;
  host: string;
  port: number;
  variable: string;
}

/**
 * A listener could not be opened: the message names the variable to change (`PORT`,
 * `METRICS_PORT`, `HOST`, `METRICS_HOST`), so that a second instance on one host is told what to set.
 */
export class ListenError extends DocstoreError<ListenErrorCode> {
  declare readonly context: ListenErrorContext;

  constructor(code: ListenErrorCode, message: string, context: ListenErrorContext, options: { cause?: unknown } = {}) {
    super(code, message, { ...options, context });
  }

  /** Translates the error of `listen()` (EADDRINUSE, EADDRNOTAVAIL, EACCES, …) for `listener`. */
  static of(error: unknown, listener: ListenerSettings): ListenError {
    const { name, host, port, hostVariable, portVariable } = listener;
    const address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    const context = (variable: string) => ({ listener: name, host, port, variable });
    switch ((error as NodeJS.ErrnoException).code) {
      case 'EADDRINUSE':
        return new ListenError(
          'listen.address_in_use',
          `${portVariable}: the ${name} listener cannot use ${address}, something else listens there (another docstore instance?); give this instance another ${portVariable}`,
          context(portVariable),
          { cause: error },
        );
      case 'EADDRNOTAVAIL':
      case 'ENOTFOUND':
        return new ListenError('listen.address_unavailable', `${hostVariable}: the ${name} listener cannot use ${host}, not an address of this machine`, context(hostVariable), { cause: error });
      case 'EACCES':
        return new ListenError(
          'listen.permission_denied',
          `${portVariable}: the ${name} listener may not use ${address} (ports below 1024 need privileges); choose another ${portVariable}`,
          context(portVariable),
          { cause: error },
        );
      default:
        return new ListenError(
          'listen.failed',
          `${portVariable}: the ${name} listener cannot listen on ${address}: ${error instanceof Error ? error.message : String(error)}`,
          context(portVariable),
          { cause: error },
        );
    }
  }
}
