/**
 * The HTTP surface of `burnwatch serve` (express). Routes only translate
 * between HTTP and the service's parts; errors leave as JSON
 * `{ error: code, message }` from one central handler.
 */
import express from 'express';
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { BurnwatchError } from '../common/index.ts';
import type { Logger } from './logger.ts';

export interface AppDeps {
  logger: Logger;
  /** Rendered metrics for a request's Accept header. */
  metrics(accept: string | undefined): Promise<{ contentType: string; body: string }>;
  /** Whether the service is ready to serve (config loaded, store open, scheduler running). */
  ready(): { ready: boolean; reason?: string };
}

export class HttpError extends BurnwatchError {
  readonly status: number;
  constructor(status: number, code: string, message: string) {
    super(code, message);
    this.status = status;
  }
}

/** Wraps an async handler so a rejected promise reaches the error handler. */
export function route(fn: (req: Request, res: Response) => Promise<void> | void): RequestHandler {
  return (req, res, next) => {
    Promise.resolve(fn(req, res)).catch(next);
  };
}

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.get('/healthz', (_req, res) => {
    res.type('text/plain').send('ok\n');
  });
  app.get(
    '/readyz',
    route((_req, res) => {
      const r = deps.ready();
      res.status(r.ready ? 200 : 503).json(r);
    }),
  );
  app.get(
    '/metrics',
    route(async (req, res) => {
      const m = await deps.metrics(req.get('accept'));
      res.set('Content-Type', m.contentType).send(m.body);
    }),
  );

  return app;
}

/** Adds the 404 and error handlers; call after every route is registered. */
export function finishApp(app: express.Express, logger: Logger): void {
  app.use((req, _res, next) => {
    next(new HttpError(404, 'not_found', `no route for ${req.method} ${req.path}`));
  });
  const onError: ErrorRequestHandler = (err: unknown, req, res, _next) => {
    const e = err as { status?: number; statusCode?: number; type?: string; code?: string; message?: string; expose?: boolean };
    const status = e.status ?? e.statusCode ?? 500;
    // Only our own errors carry an API error code; anything else (express, body-parser, SQLite) is named by its
    // status, so a bad path is not "internal" and an SQLITE_BUSY is not an API code.
    let code = err instanceof HttpError ? err.code : status >= 500 ? 'internal' : status === 404 ? 'not_found' : 'bad_request';
    if (e.type === 'entity.too.large') code = 'body_too_large';
    else if (e.type === 'entity.parse.failed') code = 'invalid_json';
    if (status >= 500) logger.error('request failed', { method: req.method, path: req.path, err });
    res.status(status).json({ error: code, message: status >= 500 && !(err instanceof HttpError) ? 'internal error' : (e.message ?? 'error') });
  };
  app.use(onError);
}
