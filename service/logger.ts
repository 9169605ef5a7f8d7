/**
 * Structured JSON logs, one object per line: `time`, `level`, `msg`, then
 * fields (trace ids among them). Secrets substituted from the environment are
 * redacted from every line.
 */
import { redactJson } from '../common/index.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  /** A function is read at every line (the level changes on reload). */
  level?: LogLevel | (() => LogLevel);
  /** Where lines go; default process.stdout. */
  write?: (line: string) => void;
  /** Strings to replace with `[redacted]` wherever they appear; a function is read at every line (secrets change on reload). */
  secrets?: readonly string[] | (() => readonly string[]);
}

/**
 * @example
 * const log = createLogger({ level: 'info' });
 * log.info('probe run finished', { probe: 'assignment', runId, trace_id });
 */
export function createLogger(options: LoggerOptions = {}, base: Record<string, unknown> = {}): Logger {
  const level = options.level ?? 'info';
  const min = (): number => ORDER[typeof level === 'function' ? level() : level];
  const write = options.write ?? ((line: string) => process.stdout.write(line));
  const secrets = options.secrets ?? [];
  const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (ORDER[level] < min()) return;
    // The header fields come last so no field can overwrite them; a field that cannot be serialised
    // (a cycle, a BigInt) costs its fields, never the line or the caller.
    const head = { time: new Date().toISOString(), level, msg };
    const hidden = typeof secrets === 'function' ? secrets() : secrets;
    // Redacted string by string, so a secret that is also a number or a JSON literal never breaks the line's JSON.
    let line: string;
    try {
      line = redactJson({ ...head, ...base, ...fields, ...head }, hidden, errorReplacer);
    } catch (err) {
      line = redactJson({ ...head, logError: `fields could not be serialised: ${err instanceof Error ? err.message : String(err)}` }, hidden);
    }
    write(`${line}\n`);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger(options, { ...base, ...fields }),
  };
}

/** A logger that drops everything (tests, quiet commands). */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const out: Record<string, unknown> = { message: value.message, name: value.name };
    if ('code' in value) out.code = value.code;
    if (value.cause !== undefined) out.cause = value.cause instanceof Error ? value.cause.message : value.cause;
    return out;
  }
  return value;
}
