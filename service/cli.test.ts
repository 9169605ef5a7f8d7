import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testServer } from '../probes/test-support.ts';
import { finished, runCli, spawnCli, waitForOutput } from '../test/helpers.ts';
import { normalizeArgs } from './cli.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'burnwatch-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('burnwatch CLI', () => {
  it('lists its commands in --help', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const command of ['serve', 'run', 'validate', 'rules', 'replay', 'demo-target']) expect(r.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
  });

  it('validates the demo config with exit 0', async () => {
    const r = await runCli(['validate', '--config', 'demo/config']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^demo\/config: valid \(\d+ files: \d+ probes, 7 SLOs/);
    expect(r.code).toBe(0);
  });

  it('exits 104 and prints every error of an invalid config', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'apiVersion: burnwatch/v1\nkind: SLO\nmetadata: { name: s }\nspec: { probe: nope, objective: 150, indicator: { errorRate: {} }, extra: 1 }\n');
    const r = await runCli(['validate', '--config', file]);
    expect(r.code).toBe(104);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toContain('spec.probe: no Probe named "nope"');
    expect(lines[1]).toContain('spec.objective: 150 is out of range');
    expect(lines[2]).toContain('spec.extra: unknown key "extra"');
    expect(lines[3]).toBe(`3 errors in ${file}`);
  });

  it('exits 2 on an unknown command', async () => {
    const r = await runCli(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
  });

  it('exits 2 on a usage error of a subcommand, and 104 on a bad --threads as on a bad --segment', async () => {
    const file = join(dir, 'usage.yaml');
    await writeFile(
      file,
      'apiVersion: burnwatch/v1\nkind: Probe\nmetadata: { name: u }\nspec:\n  target: http://127.0.0.1:9\n  scenario: { executor: shared-iterations, vus: 1, iterations: 1 }\n  requests: [{ name: a, url: / }]\n',
    );
    const usage: [string[], RegExp][] = [
      [['run'], /missing required argument 'probe-file'/],
      [['run', file, '--bogus'], /unknown option '--bogus'/],
      [['validate', '--bogus'], /unknown option '--bogus'/],
      [['replay', '--config', file], /required option '--slo <name>' not specified/],
      [['demo-target', '--port', 'x'], /option '--port <n>' argument 'x' is invalid/],
    ];
    for (const [args, message] of usage) {
      const r = await runCli(args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toMatch(message);
    }
    for (const threads of ['0', 'x']) {
      const r = await runCli(['run', file, '--threads', threads]);
      expect({ threads, code: r.code }).toEqual({ threads, code: 104 });
      expect(r.stderr).toContain(`--threads: expected a whole number of at least 1, got ${threads}`);
    }
  });

  it('lists every exit code in --help and in run --help', async () => {
    const top = await runCli(['--help']);
    expect(top.stdout).toMatch(/Exit codes: 0 ok, 1 failure, 2 usage, 99 thresholds failed, 104 invalid config, 105 run aborted/);
    const run = await runCli(['run', '--help']);
    expect(run.code).toBe(0);
    const codes = run.stdout.slice(run.stdout.indexOf('Exit codes:')).replace(/\s+/g, ' ');
    for (const code of ['0 every threshold passed', '99 a threshold failed', '104 invalid probe file or option', '105 aborted', '1 failure', '2 usage']) expect(codes).toContain(code);
  });

  it("run --help says the --summary-export file has k6's handleSummary() shape, not that of k6's own --summary-export", async () => {
    const r = await runCli(['run', '--help']);
    const help = r.stdout.replace(/\s+/g, ' ');
    expect(help).not.toContain('(k6 metric names)');
    expect(help).toContain(`--summary-export <file> write the run's summary as JSON; its metrics have the shape of k6's handleSummary() data`);
    expect(help).toContain(`not of k6's legacy --summary-export file (metrics.NAME["p(95)"], thresholds true = failed)`);
  });

  it('serves /healthz and /metrics on the configured address and exits 0 soon after SIGTERM', async () => {
    const config = join(dir, 'serve.yaml');
    await writeFile(
      config,
      `apiVersion: burnwatch/v1
kind: Service
metadata: { name: svc }
spec: { listen: "127.0.0.1:0", dataDir: ${JSON.stringify(join(dir, 'data'))}, demoTarget: { enabled: true, listen: "127.0.0.1:0" } }
`,
    );
    const child = spawnCli(['serve', '--config', config]);
    const exit = finished(child, 20_000);
    const [, url] = await waitForOutput(child, /"msg":"burnwatch listening","url":"(http:\/\/127\.0\.0\.1:\d+)"/);
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.text()).toBe('ok\n');
    const ready = await fetch(`${url}/readyz`);
    expect(await ready.json()).toEqual({ ready: true });
    const metrics = await fetch(`${url}/metrics`, { headers: { accept: 'application/openmetrics-text; version=1.0.0' } });
    expect(metrics.headers.get('content-type')).toContain('application/openmetrics-text');
    expect(await metrics.text()).toMatch(/# EOF\n$/);
    const missing = await fetch(`${url}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'not_found', message: 'no route for GET /nope' });

    const stopAt = Date.now();
    child.kill('SIGTERM');
    const r = await exit;
    expect(r.code).toBe(0);
    expect(Date.now() - stopAt).toBeLessThan(5_000);
    expect(r.stdout).toContain('"msg":"burnwatch stopped"');
  });

  it('serves the demo on 127.0.0.1:8080 without a config, as npm start does', async () => {
    // Run from an empty folder so no ./burnwatch.yaml is picked up and state stays in the temp dir.
    const cwd = await mkdtemp(join(dir, 'start-'));
    const child = spawnCli(['serve'], { cwd });
    const exit = finished(child, 20_000);
    await waitForOutput(child, /"msg":"burnwatch listening","url":"http:\/\/127\.0\.0\.1:8080"/);
    expect((await fetch('http://127.0.0.1:8080/healthz')).status).toBe(200);
    expect((await fetch('http://127.0.0.1:8080/metrics')).status).toBe(200);
    expect((await fetch('http://127.0.0.1:8081/healthz')).status).toBe(200);
    const stopAt = Date.now();
    child.kill('SIGTERM');
    const r = await exit;
    expect(r.code).toBe(0);
    expect(Date.now() - stopAt).toBeLessThan(5_000);
  });
});

describe('--http-debug as k6 users write it', () => {
  it('a bare --http-debug before the probe file is headers, not the file; =full and a following mode stay as written', () => {
    expect(normalizeArgs(['node', 'bw', 'run', '--http-debug', 'probe.yaml'])).toEqual(['node', 'bw', 'run', '--http-debug=headers', 'probe.yaml']);
    expect(normalizeArgs(['node', 'bw', 'run', 'probe.yaml', '--http-debug'])).toEqual(['node', 'bw', 'run', 'probe.yaml', '--http-debug=headers']);
    expect(normalizeArgs(['node', 'bw', 'run', '--http-debug', 'full', 'probe.yaml'])).toEqual(['node', 'bw', 'run', '--http-debug', 'full', 'probe.yaml']);
    expect(normalizeArgs(['node', 'bw', 'run', '--http-debug=full', 'probe.yaml'])).toEqual(['node', 'bw', 'run', '--http-debug=full', 'probe.yaml']);
  });

  it('burnwatch run --http-debug probe.yaml runs the probe and writes its requests to stderr', async () => {
    const server = await testServer();
    const dir = await mkdtemp(join(tmpdir(), 'bw-debug-'));
    try {
      const file = join(dir, 'p.yaml');
      await writeFile(file, `apiVersion: burnwatch/v1\nkind: Probe\nmetadata: { name: p }\nspec:\n  target: ${server.url}\n  scenario: { executor: shared-iterations, vus: 1, iterations: 2, maxDuration: 5s }\n  requests: [{ name: get, url: /x }]\n`);
      const r = await runCli(['run', '--http-debug', file]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr.match(/^Request:\nGET \/x HTTP\/1\.1$/gm)).toHaveLength(2);
    } finally {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

