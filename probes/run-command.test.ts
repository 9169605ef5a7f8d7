import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../service/commands/run.ts';
import type { Output } from '../service/commands/run.ts';
import type { RunSummary } from './summary.ts';
import { delayed, testServer } from './test-support.ts';
import type { TestServer } from './test-support.ts';

let dir: string;
let server: TestServer | undefined;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'burnwatch-run-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function capture(tty = false): { out: Output; text: () => string } {
  const stream = new PassThrough() as PassThrough & { isTTY?: boolean; columns?: number };
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  if (tty) {
    stream.isTTY = true;
    stream.columns = 100;
  }
  return { out: stream, text: () => text };
}

async function probeFile(name: string, yaml: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, yaml);
  return path;
}

const probeYaml = (target: string, extra = '', thresholds = 'http_req_failed: ["rate<0.01"]'): string => `apiVersion: burnwatch/v1
kind: Probe
metadata: { name: tiny }
spec:
  target: ${target}
  scenario: { executor: constant-arrival-rate, rate: 40, duration: 2s, preAllocatedVUs: 5 }
  requests:
    - name: get
      url: /x?u={{userId 1 10}}
  thresholds:
    ${thresholds}
${extra}`;

describe('burnwatch run (runCommand)', () => {
  it('runs a tiny probe file, prints progress and the summary, exports JSON and exits 0 when thresholds pass', async () => {
    server = await testServer();
    const file = await probeFile('tiny.yaml', probeYaml(server.url));
    const exportPath = join(dir, 'summary.json');
    const { out, text } = capture();
    const code = await runCommand(file, { summaryExport: exportPath, out, progressEverySeconds: 1, handleSignals: false });
    expect(code).toBe(0);
    expect(text()).toMatch(/burnwatch run · probe tiny · http:\/\/127\.0\.0\.1:\d+\nconstant-arrival-rate: 40 req\/s for 2s/);
    expect(text()).toMatch(/^\s+\d+s\/2s {2}\d+\/40 req\/s {2}vus \d+\/5 {2}p95 .* {2}err 0% {2}dropped 0$/m);
    expect(text()).toMatch(/✓ 'rate<0.01' rate=0%/);
    expect(text()).toMatch(/PASSED — completed/);
    const summary = JSON.parse(await readFile(exportPath, 'utf8')) as RunSummary;
    expect(summary).toMatchObject({ probe: 'tiny', status: 'passed', stopReason: 'completed', droppedIterations: 0 });
    expect(summary.metrics.http_reqs!.values.count).toBe(80);
    expect(Object.keys(summary.metrics.http_req_duration!.values)).toEqual(['count', 'rate', 'avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)', 'p(99.9)']);
    expect(Date.parse(summary.endedAt) - Date.parse(summary.startedAt)).toBeGreaterThanOrEqual(1990);
  });

  it("shows the trend stats of --summary-trend-stats (k6's summaryTrendStats) in their order, and exports them beside the default set", async () => {
    server = await testServer();
    const file = await probeFile('trend-stats.yaml', probeYaml(server.url, '  summaryTrendStats: [med, p(99)]'));
    const exportPath = join(dir, 'trend-stats.json');
    const { out, text } = capture();
    expect(await runCommand(file, { summaryExport: exportPath, summaryTrendStats: 'avg, p(99.99), count, p(75)', out, handleSignals: false })).toBe(0);
    expect(text()).toMatch(/^ {4}http_req_duration\.+: avg=\S+ p\(99\.99\)=\S+ count=80 p\(75\)=\S+$/m);
    expect(text()).not.toMatch(/med=/);
    const summary = JSON.parse(await readFile(exportPath, 'utf8')) as RunSummary;
    const values = summary.metrics.http_req_duration!.values;
    expect(Object.keys(values)).toEqual(['count', 'rate', 'avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)', 'p(99.9)', 'p(99.99)', 'p(75)']);
    expect(values['p(75)']).toBeGreaterThanOrEqual(values.med!);
    expect(values['p(75)']).toBeLessThanOrEqual(values['p(90)']!);
    expect(values['p(99.99)']).toBeGreaterThanOrEqual(values['p(99.9)']!);
    expect(values['p(99.99)']).toBeLessThanOrEqual(values.max!);
    // Without the flag, the probe's summaryTrendStats.
    const again = capture();
    expect(await runCommand(file, { out: again.out, handleSignals: false })).toBe(0);
    expect(again.text()).toMatch(/^ {4}http_req_duration\.+: med=\S+ p\(99\)=\S+$/m);
  });

  it('refuses a bad --summary-trend-stats before the run (104)', async () => {
    server = await testServer();
    const file = await probeFile('bad-trend-stats.yaml', probeYaml(server.url));
    const { out, text } = capture();
    expect(await runCommand(file, { summaryTrendStats: 'avg,p95', out, handleSignals: false })).toBe(104);
    expect(text()).toBe('--summary-trend-stats: "p95" is not a trend stat; expected avg, min, med, max, count or p(N), e.g. p(99.99)\n');
    expect(server.hits).toBe(0);
  });

  it('--http-debug writes each request and response to the error stream; a bad mode is refused (104)', async () => {
    server = await testServer();
    const file = await probeFile('debug.yaml', probeYaml(server.url));
    const out = capture();
    const err = capture();
    expect(await runCommand(file, { out: out.out, err: err.out, httpDebug: true, handleSignals: false })).toBe(0);
    expect(err.text().match(/^Request:\nGET \/x\?u=u-\d+ HTTP\/1\.1\n/gm)).toHaveLength(80);
    expect(err.text().match(/^Response:\nHTTP\/1\.1 200 OK\n/gm)).toHaveLength(80);
    expect(out.text()).not.toMatch(/^Request:/m);
    const bad = capture();
    expect(await runCommand(file, { out: bad.out, httpDebug: 'bodies', handleSignals: false })).toBe(104);
    expect(bad.text()).toBe('--http-debug: expected no value (headers) or full, got bodies\n');
  });

  it('exits 99 when a threshold fails', async () => {
    server = await testServer(delayed(0, 500));
    const file = await probeFile('failing.yaml', probeYaml(server.url));
    const { out, text } = capture();
    expect(await runCommand(file, { out, handleSignals: false })).toBe(99);
    expect(text()).toMatch(/✗ 'rate<0.01' rate=100%/);
    expect(text()).toMatch(/FAILED — completed/);
    // No expected response: k6 hides the sub-metric nothing observed (avg=0s would read as zero latency).
    expect(text()).not.toContain('expected_response');
  });

  it('shows a sub-metric with no samples as "no data" when a threshold names it', async () => {
    server = await testServer(delayed(0, 500));
    const file = await probeFile('nodata.yaml', probeYaml(server.url, '', '"http_req_duration{expected_response:true}": ["p(95)<100"]').replace('duration: 2s', 'duration: 1s'));
    const exportPath = join(dir, 'nodata.json');
    const { out, text } = capture();
    expect(await runCommand(file, { out, summaryExport: exportPath, handleSignals: false })).toBe(0);
    expect(text()).toMatch(/✓ 'p\(95\)<100' p\(95\)=no data/);
    expect(text()).toMatch(/^ {6}\{ expected_response:true \}\.+: no data$/m);
    const summary = JSON.parse(await readFile(exportPath, 'utf8')) as RunSummary;
    expect(summary.metrics['http_req_duration{expected_response:true}']!.values.count).toBe(0);
  });

  it('exits 105 when auto-abort stops a run against a failing target', async () => {
    server = await testServer(delayed(0, 500));
    const file = await probeFile('abort.yaml', probeYaml(server.url, '  autoAbort: { errorRate: 50, for: 1s }', 'http_req_duration: ["p(95)<1000"]').replace('duration: 2s', 'duration: 20s'));
    const { out, text } = capture();
    expect(await runCommand(file, { out, handleSignals: false })).toBe(105);
    expect(text()).toMatch(/ABORTED — auto-abort: error rate 100 % > 50 % for 1s/);
  });

  it('redraws one progress line on a TTY', async () => {
    server = await testServer();
    const file = await probeFile('tty.yaml', probeYaml(server.url).replace('duration: 2s', 'duration: 1500ms'));
    const { out, text } = capture(true);
    expect(await runCommand(file, { out, handleSignals: false })).toBe(0);
    expect(text()).toContain('\r\x1b[2K');
  });

  it.each([
    [
      'an unknown executor',
      'bad-executor.yaml',
      (y: string) => y.replace('constant-arrival-rate', 'constant-arival-rate'),
      /bad-executor\.yaml:\d+:\d+ spec\.scenario(\.executor)?: .*expected executor to be one of constant-arrival-rate/,
    ],
    ['a bad template', 'bad-template.yaml', (y: string) => y.replace('{{userId 1 10}}', '{{userid 1 10}}'), /bad-template\.yaml:\d+:\d+ spec\.requests\[0\]\.url: .*did you mean "userId"/],
    [
      'a bad threshold',
      'bad-threshold.yaml',
      (y: string) => y.replace('rate<0.01', 'rate<1%'),
      /bad-threshold\.yaml(:\d+:\d+)? spec\.thresholds\.http_req_failed\[0\]: "rate<1%": rates are fractions; write 0\.01 instead of 1%/,
    ],
    [
      'a rate above the maxRps cap',
      'too-fast.yaml',
      (y: string) => y.replace('rate: 40', 'rate: 60000'),
      /too-fast\.yaml(:\d+:\d+)? spec\.scenario: .*peak arrival rate is 60,?000 requests\/s, above the .*maxRps.* of 50,?000/,
    ],
    ['two probes in one file', 'two.yaml', (y: string) => `${y}---\n${y.replace('name: tiny', 'name: other')}`, /two\.yaml: 2 Probe documents \(tiny, other\); pick one with --probe NAME, e.g\. --probe tiny/],
    ['no probe at all', 'none.yaml', () => 'apiVersion: burnwatch/v1\nkind: Service\nmetadata: { name: s }\nspec: {}\n', /none\.yaml: no Probe document found; burnwatch run needs one/],
  ])('exits 104 with a clear error for %s, running nothing', async (_what, name, edit, message) => {
    const file = await probeFile(name, edit(probeYaml('http://127.0.0.1:9')));
    const { out, text } = capture();
    expect(await runCommand(file, { out, handleSignals: false })).toBe(104);
    expect(text()).toMatch(message);
    expect(text()).toMatch(/invalid probe file, nothing was run/);
  });

  it('--probe picks one Probe from a file holding several and runs only that one', async () => {
    server = await testServer();
    const one = probeYaml(server.url);
    const file = await probeFile('several.yaml', `${one}---\n${one.replace('name: tiny', 'name: other').replace('rate: 40', 'rate: 20')}`);
    const exportPath = join(dir, 'picked.json');
    const { out, text } = capture();
    expect(await runCommand(file, { out, probe: 'other', summaryExport: exportPath, handleSignals: false })).toBe(0);
    const summary = JSON.parse(await readFile(exportPath, 'utf8')) as RunSummary;
    expect(summary.probe).toBe('other');
    // 20/s for 2 s: the other probe's 40/s would have sent twice as many.
    expect(summary.metrics.http_reqs?.values.count).toBeGreaterThanOrEqual(38);
    expect(summary.metrics.http_reqs?.values.count).toBeLessThanOrEqual(42);
    expect(text()).toMatch(/other/);
  });

  it('--probe with a name the file lacks exits 104, suggests the near one and lists what is there', async () => {
    const one = probeYaml('http://127.0.0.1:9');
    const file = await probeFile('names.yaml', `${one}---\n${one.replace('name: tiny', 'name: other')}`);
    const { out, text } = capture();
    expect(await runCommand(file, { out, probe: 'othr', handleSignals: false })).toBe(104);
    expect(text()).toMatch(/names\.yaml: no Probe named "othr" \(did you mean "other"\?\); it has tiny, other/);
    expect(text()).toMatch(/nothing was run/);
  });

  it('exits 104 for a missing file and for a malformed --segment', async () => {
    const { out, text } = capture();
    expect(await runCommand(join(dir, 'nope.yaml'), { out, handleSignals: false })).toBe(104);
    expect(text()).toMatch(/nope\.yaml/);
    const file = await probeFile('ok.yaml', probeYaml('http://127.0.0.1:9'));
    expect(await runCommand(file, { out, segment: '3/2', handleSignals: false })).toBe(104);
    expect(text()).toMatch(/--segment: segment "3\/2": i must be between 1 and 2/);
  });
});
