import { errorMessage } from '../../common/index.ts';
import { formatConfigIssue, loadConfig } from '../config/index.ts';
import { EXIT } from '../exit-codes.ts';
import { createLogger } from '../logger.ts';
import type { LogLevel } from '../logger.ts';
import { resolveConfigPath } from '../paths.ts';
import { startService } from '../service.ts';
import type { ServiceHandle } from '../service.ts';

export interface ServeOptions {
  config?: string;
  dataDir?: string;
  logLevel?: LogLevel;
}

/** How long shutdown may take before the process exits anyway. */
const SHUTDOWN_DEADLINE_MS = 4_000;

/**
 * `burnwatch serve`: runs until SIGINT/SIGTERM, then shuts down cleanly and
 * resolves with the exit code (0 on a clean stop). A second signal, or a
 * shutdown slower than 4 s, exits at once with 1.
 */
export async function serveCommand(options: ServeOptions): Promise<number> {
  const { path, isDemo } = resolveConfigPath(options.config);
  const result = await loadConfig(path);
  if (!result.ok) {
    for (const e of result.errors) process.stderr.write(`${formatConfigIssue(e)}\n`);
    return EXIT.invalidConfig;
  }
  // The logger reads the current config at every line: a reload can change the level and the secrets.
  let current = result.config;
  const logger = createLogger({ level: () => options.logLevel ?? current.service.logLevel, secrets: () => current.secrets });
  const config = current;
  for (const w of result.warnings) logger.warn(formatConfigIssue(w));
  if (isDemo) logger.info('no config given: serving the demo platform', { config: path });

  let handle: ServiceHandle;
  try {
    handle = await startService({ config, logger, dataDir: options.dataDir, demoTarget: isDemo ? true : undefined });
  } catch (err) {
    logger.error('cannot start', { err: errorMessage(err) });
    return EXIT.failure;
  }

  // SIGHUP reloads the config; an invalid one is rejected with its errors and the old one keeps running.
  // Reloads run one after another (the last signal's file wins) and stop once shutdown has begun.
  let stopping = false;
  let reloads = Promise.resolve();
  const reload = async (): Promise<void> => {
    const next = await loadConfig(path);
    if (stopping) return;
    if (!next.ok) {
      logger.error('config reload rejected; the previous config keeps running', { errors: next.errors.map(formatConfigIssue) });
      return;
    }
    handle.reload(next.config);
    current = next.config;
  };
  const onHup = (): void => {
    reloads = reloads
      .then(reload)
      .catch((err: unknown) => logger.error('config reload failed; the previous config keeps running', { err: errorMessage(err) }));
  };
  process.on('SIGHUP', onHup);

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  process.off('SIGHUP', onHup);
  stopping = true;
  logger.info('shutting down', { signal });
  const force = (): never => {
    logger.error('shutdown took too long; exiting');
    process.exit(EXIT.failure);
  };
  process.once('SIGINT', force);
  process.once('SIGTERM', force);
  const timer = setTimeout(force, SHUTDOWN_DEADLINE_MS);
  timer.unref();
  await handle.close(performance.now() + SHUTDOWN_DEADLINE_MS);
  clearTimeout(timer);
  return EXIT.ok;
}
