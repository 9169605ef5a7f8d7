/**
 * docker-compose.yml cannot be run here (no Docker engine), so it is checked
 * by other means: it parses, every file it mounts exists, the Prometheus and
 * Alertmanager configs it mounts pass their own tools' checks, and the
 * rules `burnwatch rules` writes for the demo land where Prometheus loads them.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { requireBinary } from './tools.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const promtool = requireBinary('promtool');
const amtool = requireBinary('amtool');
const dir = mkdtempSync(join(tmpdir(), 'bw-deploy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Compose {
  services: Record<string, { build?: string; image?: string; volumes?: string[]; ports?: string[]; command?: string[]; environment?: Record<string, string> }>;
}

const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as Compose;

describe('docker-compose.yml', () => {
  it('runs burnwatch beside Prometheus, Alertmanager and Grafana, with pinned images', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['alertmanager', 'burnwatch', 'grafana', 'prometheus']);
    expect(compose.services.burnwatch!.build).toBe('.');
    expect(existsSync(join(ROOT, 'Dockerfile'))).toBe(true);
    for (const [name, s] of Object.entries(compose.services)) {
      if (s.image) expect(s.image, name).toMatch(/:v?\d+\.\d+\.\d+$/);
    }
    // Inside a container the service must listen on every interface, not loopback.
    expect(compose.services.burnwatch!.environment?.BURNWATCH_LISTEN).toBe('0.0.0.0:8080');
  });

  it('mounts only files that exist in the repository', () => {
    const mounts = Object.values(compose.services).flatMap((s) => s.volumes ?? []);
    const local = mounts.filter((m) => m.startsWith('./')).map((m) => m.split(':')[0]!);
    expect(local.length).toBeGreaterThanOrEqual(4);
    for (const path of local) expect(existsSync(join(ROOT, path)), path).toBe(true);
  });

  it.skipIf(promtool.skip)('mounts a Prometheus config that promtool accepts, with the generated rules', () => {
    const check = spawnSync(promtool.need(), ['check', 'config', join(ROOT, 'deploy/prometheus.yml')], { encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    const rules = join(dir, 'burnwatch.yaml');
    const gen = spawnSync(process.execPath, [join(ROOT, 'bin/burnwatch.js'), 'rules', '--config', join(ROOT, 'demo/config'), '--out', rules], { encoding: 'utf8' });
    expect(gen.status, gen.stderr).toBe(0);
    const rulesCheck = spawnSync(promtool.need(), ['check', 'rules', rules], { encoding: 'utf8' });
    expect(rulesCheck.status, rulesCheck.stdout + rulesCheck.stderr).toBe(0);
    const prom = parse(readFileSync(join(ROOT, 'deploy/prometheus.yml'), 'utf8')) as { rule_files: string[] };
    expect(prom.rule_files).toEqual(['/etc/prometheus/rules/*.yaml']);
  });

  it.skipIf(amtool.skip)('mounts an Alertmanager config that amtool accepts, routing pages apart from tickets', () => {
    const check = spawnSync(amtool.need(), ['check-config', join(ROOT, 'deploy/alertmanager.yml')], { encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    const am = parse(readFileSync(join(ROOT, 'deploy/alertmanager.yml'), 'utf8')) as { route: { routes: { matchers: string[]; receiver: string }[] } };
    expect(am.route.routes).toContainEqual({ matchers: ['severity="page"'], receiver: 'pages' });
  });
});
