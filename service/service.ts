/**
 * The composition root of `burnwatch serve`: wires config, the embedded demo
 * target, metrics and the HTTP server, and shuts them down in order. It holds
 * no domain maths.
 */
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { startDemoTarget } from '../demo/target/index.ts';
import type { DemoTarget } from '../demo/target/index.ts';
import { createApp, finishApp } from './app.ts';
import type { Config } from './config/index.ts';
import type { Logger } from './logger.ts';
import { createRegistry, renderMetrics } from './metrics.ts';

export interface ServiceOptions {
  config: Config;
  logger: Logger;
  /** Overrides the config's dataDir (`--data-dir`). */
  dataDir?: string;
  /** Overrides the config's listen address (tests use port 0). */
  listen?: { host: string; port: number };
  /** Forces the embedded demo target on or off; default: the config's `demoTarget.enabled`. */
  demoTarget?: boolean;
}

export interface ServiceHandle {
  url: string;
  demoTarget?: DemoTarget;
  /** Stops everything; resolves when every socket and file is closed. Safe to call twice. */
  close(): Promise<void>;
}

export async function startService(options: ServiceOptions): Promise<ServiceHandle> {
  const { config, logger } = options;
  const settings = config.service;
  const dataDir = options.dataDir ?? settings.dataDir;
  await mkdir(dataDir, { recursive: true });

  let demoTarget: DemoTarget | undefined;
  const wantDemo = options.demoTarget ?? settings.demoTarget?.enabled ?? false;
  if (wantDemo) {
    const listen = settings.demoTarget?.listen ?? { host: '127.0.0.1', port: 8081 };
    demoTarget = await startDemoTarget({ host: listen.host, port: listen.port });
    logger.info('demo target listening', { url: demoTarget.url });
  }

  const registry = createRegistry();
  let ready = false;
  const app = createApp({
    logger,
    metrics: (accept) => renderMetrics(registry, accept),
    ready: () => (ready ? { ready: true } : { ready: false, reason: 'starting' }),
  });
  finishApp(app, logger);

  const listen = options.listen ?? settings.listen;
  let server: Server;
  try {
    server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(listen.port, listen.host, (err?: Error) => (err ? reject(err) : resolve(s)));
      s.once('error', reject);
    });
  } catch (err) {
    await demoTarget?.close();
    throw err;
  }
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  ready = true;
  logger.info('burnwatch listening', { url, dataDir, probes: config.probes.size, slos: config.slos.size });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      ready = false;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 1000).unref();
      });
      await demoTarget?.close();
      logger.info('burnwatch stopped');
    })();
    return closing;
  };
  return { url, demoTarget, close };
}
