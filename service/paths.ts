/** Where bundled files live, resolved from this module so any working directory works. */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The package root (the folder holding package.json). */
export const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');

/** The example config `npm start` serves: the demo platform's probes and SLOs. */
export const DEMO_CONFIG = `${PACKAGE_ROOT}/demo/config`;

/**
 * The config path a command uses: `--config`, else `$BURNWATCH_CONFIG`, else
 * `./burnwatch.yaml` or `./burnwatch/` when present, else the demo config.
 */
export function resolveConfigPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): { path: string; isDemo: boolean } {
  if (flag) return { path: flag, isDemo: false };
  if (env.BURNWATCH_CONFIG) return { path: env.BURNWATCH_CONFIG, isDemo: false };
  for (const candidate of ['burnwatch.yaml', 'burnwatch.yml', 'burnwatch']) {
    if (existsSync(candidate)) return { path: candidate, isDemo: false };
  }
  return { path: DEMO_CONFIG, isDemo: true };
}

let cachedVersion: string | undefined;

/** burnwatch's version, from package.json. */
export function packageVersion(): string {
  cachedVersion ??= (JSON.parse(readFileSync(`${PACKAGE_ROOT}/package.json`, 'utf8')) as { version: string }).version;
  return cachedVersion;
}
