/**
 * Errors that leave a module carry a stable `code` (one per failure mode) and
 * wrap their cause, so a caller can branch on the code and a human reads a
 * sentence with context.
 */
export class BurnwatchError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'BurnwatchError';
  }
}

/** Returns the message of anything thrown, for logs and user-facing lines. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
