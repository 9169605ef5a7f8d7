import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { delayed, testServer } from '../../probes/test-support.ts';
import { runCommand } from './run.ts';
import type { Output } from './run.ts';

// The engine's runCommand tests (progress, summary, exit codes of runs) are in probes/run-command.test.ts.

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'burnwatch-run-cmd-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function capture(): { out: Output; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { out: stream, text: () => text };
}

async function probeFile(name: string, target: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(
    path,
    `apiVersion: burnwatch/v1
kind: Probe
metadata: { name: export }
spec:
  target: ${target}
  scenario: { executor: constant-vus, vus: 1, duration: 1s }
  requests: [{ name: get, url: /x }]
  thresholds: { http_req_failed: ["rate<0.01"] }
`,
  );
  return path;
}

describe('burnwatch run --summary-export', () => {
  it('exits 104 before running anything when the path is a folder or in a missing folder', async () => {
    const file = await probeFile('check.yaml', 'http://127.0.0.1:9');
    const folder = join(dir, 'a-folder');
    await mkdir(folder, { recursive: true });
    const { out, text } = capture();
    expect(await runCommand(file, { out, summaryExport: folder, handleSignals: false })).toBe(104);
    expect(text()).toMatch(/--summary-export: .*a-folder is a folder, not a file; give a file path, e\.g\. .*a-folder\/summary\.json/);
    expect(await runCommand(file, { out, summaryExport: join(dir, 'no-such-folder', 's.json'), handleSignals: false })).toBe(104);
    expect(text()).toMatch(/--summary-export: .*no-such-folder does not exist/);
    expect(text()).not.toMatch(/burnwatch run · probe/);
  });

  it("keeps the run's exit code and says so when the summary cannot be written at the end", async () => {
    const server = await testServer(delayed(0, 500));
    try {
      const file = await probeFile('late.yaml', server.url);
      const exportPath = join(dir, 'late.json');
      const { out, text } = capture();
      const done = runCommand(file, { out, summaryExport: exportPath, handleSignals: false });
      // Past the pre-check (the run has started), the path becomes a folder: the write at the end fails.
      while (!text().includes('burnwatch run · probe')) await new Promise((r) => setTimeout(r, 10));
      await mkdir(exportPath);
      expect(await done).toBe(99);
      expect(text()).toMatch(/FAILED — completed/);
      expect(text()).toMatch(/--summary-export: failed to write the end-of-test summary to .*late\.json: .*EISDIR/);
    } finally {
      await server.close();
    }
  });
});
