import { copyFile, mkdtemp, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { MockInstance } from 'vitest';
import { DEMO_CONFIG } from '../paths.ts';
import { formatConfigIssue, loadConfig, loadConfigText } from './index.ts';
import type { LoadResult } from './index.ts';
import type { Probe } from '../../probes/spec.ts';
import { readTlsMaterial } from '../../probes/tls-auth.ts';

const probe = (name: string, extra = ''): string => `
apiVersion: burnwatch/v1
kind: Probe
metadata: { name: ${name} }
spec:
  target: http://127.0.0.1:8081
  scenario: { executor: constant-arrival-rate, rate: 10, duration: 30s, preAllocatedVUs: 5 }
  requests:
    - name: get
      url: /healthz
${extra}`;

function errorLines(r: LoadResult): string[] {
  expect(r.ok).toBe(false);
  return r.ok ? [] : r.errors.map(formatConfigIssue);
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'burnwatch-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadConfig', () => {
  it('loads the demo config without errors or warnings', async () => {
    const r = await loadConfig(DEMO_CONFIG);
    if (!r.ok) throw new Error(r.errors.map(formatConfigIssue).join('\n'));
    expect(r.warnings).toEqual([]);
    expect([...r.config.probes.keys()]).toEqual(expect.arrayContaining(['assignment', 'flags', 'events', 'analytics', 'crud', 'health']));
    expect(r.config.slos.size).toBeGreaterThanOrEqual(7);
    expect(r.config.service.listen).toEqual({ host: '127.0.0.1', port: 8080 });
  });

  it('reports an unknown key, a bad duration, an objective of 150, a missing probe and an unset variable together, one line each', async () => {
    const file = join(dir, 'broken.yaml');
    await writeFile(
      file,
      `apiVersion: burnwatch/v1
kind: Probe
metadata: { name: assignment }
spec:
  target: http://127.0.0.1:8081
  scenario:
    executor: constant-arrival-rate
    rate: 10
    duration: 5x
    preAllocatedVUs: 5
  requests:
    - name: get_variant
      url: /v1/assignments/get_variant
      headers: { Authorization: "Bearer \${BURNWATCH_TEST_UNSET_TOKEN}" }
  retries: 3
---
apiVersion: burnwatch/v1
kind: SLO
metadata: { name: assignment-latency }
spec:
  probe: asignment
  indicator: { latency: { thresholdMs: 100 } }
  objective: 150
`,
    );
    const r = await loadConfig(file, { env: {} });
    const lines = errorLines(r);
    expect(lines).toHaveLength(5);
    const rel = r.ok ? '' : r.errors[0]!.file;
    expect(lines[0]).toBe(`${rel}:9:15 spec.scenario.duration: "5x" is not a duration; expected a number with a unit (ms, s, m, h, d, w), e.g. "30s", "5m", "1h30m", "30d"`);
    expect(lines[1]).toBe(
      `${rel}:14:33 spec.requests[0].headers.Authorization: environment variable BURNWATCH_TEST_UNSET_TOKEN is not set; set it, or write \${BURNWATCH_TEST_UNSET_TOKEN:-default} for a fallback`,
    );
    expect(lines[2]).toMatch(/:15:3 spec\.retries: unknown key "retries"; expected one of: description, schedule/);
    expect(lines[3]).toBe(`${rel}:21:10 spec.probe: no Probe named "asignment"; did you mean "assignment"? Defined probes: "assignment"`);
    expect(lines[4]).toBe(`${rel}:23:14 spec.objective: 150 is out of range; expected a percentage above 0 and below 100`);
  });

  it('loads every YAML file of a folder, recursively and in name order', async () => {
    const folder = join(dir, 'tree');
    await mkdir(join(folder, 'probes'), { recursive: true });
    await writeFile(join(folder, 'probes', 'a.yaml'), probe('a'));
    await writeFile(join(folder, 'probes', 'ignored.txt'), 'not yaml');
    await writeFile(
      join(folder, 'slo.yml'),
      `apiVersion: burnwatch/v1\nkind: SLO\nmetadata: { name: a-errors }\nspec: { probe: a, indicator: { errorRate: {} }, objective: "99.5%" }\n`,
    );
    const r = await loadConfig(folder);
    if (!r.ok) throw new Error(r.errors.map(formatConfigIssue).join('\n'));
    expect(r.config.files.map((f) => f.split('/').slice(-2).join('/'))).toEqual(['probes/a.yaml', 'tree/slo.yml']);
    expect(r.config.slos.get('a-errors')?.objectivePercent).toBe(99.5);
  });

  it('reads tlsAuth and tlsCACerts file paths relative to the probe file, not the working directory', async () => {
    const folder = join(dir, 'mtls', 'probes');
    await mkdir(join(folder, 'certs'), { recursive: true });
    const fixture = (name: string): string => fileURLToPath(new URL(`../../probes/fixtures/${name}`, import.meta.url));
    await copyFile(fixture('mtls-client.crt'), join(folder, 'certs', 'client.crt'));
    await copyFile(fixture('mtls-client.key'), join(folder, 'certs', 'client.key'));
    await copyFile(fixture('mtls-ca.crt'), join(dir, 'mtls', 'ca.crt'));
    const keyText = await readFile(fixture('mtls-client.key'), 'utf8');
    await writeFile(
      join(folder, 'p.yaml'),
      `apiVersion: burnwatch/v1
kind: Probe
metadata: { name: p }
spec:
  target: https://api.test:8443
  scenario: { executor: constant-arrival-rate, rate: 10, duration: 30s, preAllocatedVUs: 5 }
  requests: [{ name: get, url: /healthz }, { name: other, url: 'https://other.test:8443/x' }]
  tlsCACerts: ../ca.crt
  tlsAuth:
    - { domains: [api.test], cert: certs/client.crt, key: ${JSON.stringify(join(folder, 'certs', 'client.key'))} }
    - { domains: [other.test], cert: ./certs/client.crt, key: ${JSON.stringify(keyText)} }
`,
    );
    expect(process.cwd()).not.toBe(folder);
    const r = await loadConfig(join(folder, 'p.yaml'));
    if (!r.ok) throw new Error(r.errors.map(formatConfigIssue).join('\n'));
    const p = r.config.probes.get('p') as Probe;
    expect(p.tlsCACerts).toBe(join(dir, 'mtls', 'ca.crt'));
    expect(p.tlsAuth.map((a) => [a.cert, a.key])).toEqual([
      [join(folder, 'certs', 'client.crt'), join(folder, 'certs', 'client.key')],
      [join(folder, 'certs', 'client.crt'), keyText],
    ]);
    expect(readTlsMaterial(p)?.auth).toHaveLength(2);
  });

  it('says so when the path does not exist or holds no YAML', async () => {
    expect(errorLines(await loadConfig(join(dir, 'nope')))).toEqual([`${join(dir, 'nope')}: no such file or folder`]);
    const empty = join(dir, 'empty');
    await mkdir(empty);
    expect(errorLines(await loadConfig(empty))).toEqual([`${empty}: no .yaml or .yml files found`]);
  });

  it('names the closest YAML file of the folder when the file does not exist', async () => {
    const folder = join(dir, 'scenarios');
    await mkdir(folder);
    for (const name of ['seed-assignment.yaml', 'seed-flags.yaml', 'notes.txt']) await writeFile(join(folder, name), probe('x'));
    expect(errorLines(await loadConfig(join(folder, 'assignment.yaml')))).toEqual([`${join(folder, 'assignment.yaml')}: no such file or folder; did you mean ${join(folder, 'seed-assignment.yaml')}?`]);
    expect(errorLines(await loadConfig(join(folder, 'seed-flag.yml')))).toEqual([`${join(folder, 'seed-flag.yml')}: no such file or folder; did you mean ${join(folder, 'seed-flags.yaml')}?`]);
    expect(errorLines(await loadConfig(join(folder, 'zzz.yaml')))).toEqual([`${join(folder, 'zzz.yaml')}: no such file or folder`]);
    expect(errorLines(await loadConfig(join(folder, 'nope', 'a.yaml')))).toEqual([`${join(folder, 'nope', 'a.yaml')}: no such file or folder`]);
  });

  describe('"did you mean" for a missing file', () => {
    // The scenario files of demo/config/scenarios.
    const scenarios = ['breakpoint-assignment', 'seed-analytics', 'seed-assignment', 'seed-crud', 'seed-events', 'seed-flags', 'soak-mixed', 'spike-flags', 'stress-assignment'];
    let folder: string;
    const at = (name: string): string => join(folder, name);
    const hint = async (name: string): Promise<string> => {
      const lines = errorLines(await loadConfig(at(name)));
      expect(lines).toHaveLength(1);
      return lines[0]!.slice(`${at(name)}: `.length);
    };
    beforeAll(async () => {
      folder = join(dir, 'did-you-mean');
      await mkdir(folder);
      for (const name of [...scenarios.map((s) => `${s}.yaml`), 'probes.yaml', 'probe.yml', 'notes.txt']) await writeFile(at(name), probe('x'));
    });

    it('names every file that fits equally well, sorted, not the first one found', async () => {
      expect(await hint('flags.yaml')).toBe(`no such file or folder; did you mean ${at('seed-flags.yaml')} or ${at('spike-flags.yaml')}?`);
      const seeds = ['seed-analytics', 'seed-assignment', 'seed-crud', 'seed-events', 'seed-flags'].map((s) => at(`${s}.yaml`));
      expect(await hint('seed.yaml')).toBe(`no such file or folder; did you mean one of: ${seeds.join(', ')}?`);
    });

    it('gives the same hint with or without the extension', async () => {
      const assignments = `no such file or folder; did you mean one of: ${['breakpoint-assignment', 'seed-assignment', 'stress-assignment'].map((s) => at(`${s}.yaml`)).join(', ')}?`;
      expect(await hint('assignment.yaml')).toBe(assignments);
      expect(await hint('assignment')).toBe(assignments);
      expect(await hint('assignment.yml')).toBe(assignments);
      expect(await hint('seed-flag')).toBe(`no such file or folder; did you mean ${at('seed-flags.yaml')}?`);
    });

    it('names the file whose name differs only by its extension, before any near miss', async () => {
      expect(await hint('probes')).toBe(`no such file or folder; did you mean ${at('probes.yaml')}?`);
      expect(await hint('probes.yml')).toBe(`no such file or folder; did you mean ${at('probes.yaml')}?`);
      expect(await hint('Probe.yaml')).toBe(`no such file or folder; did you mean ${at('probe.yml')}?`);
      // The folder itself, given without its file.
      expect(errorLines(await loadConfig(join(DEMO_CONFIG, 'probes')))).toEqual([`${join(DEMO_CONFIG, 'probes')}: no such file or folder; did you mean ${join(DEMO_CONFIG, 'probes.yaml')}?`]);
    });

    it('lists at most five files, and says how many more fit', async () => {
      const many = join(dir, 'many');
      await mkdir(many);
      for (let i = 1; i <= 7; i++) await writeFile(join(many, `load-${i}.yaml`), probe('x'));
      const five = [1, 2, 3, 4, 5].map((i) => join(many, `load-${i}.yaml`));
      expect(errorLines(await loadConfig(join(many, 'load.yaml')))).toEqual([`${join(many, 'load.yaml')}: no such file or folder; did you mean one of: ${five.join(', ')} (and 2 more)?`]);
    });

    it('says that a broken symbolic link is one, and does not suggest the link itself', async () => {
      const link = at('moved.yaml');
      await symlink('moved-away.yaml', link);
      expect(errorLines(await loadConfig(link))).toEqual([`${link}: a symbolic link to ${at('moved-away.yaml')}, which does not exist`]);
      // Through a chain of links: the target that is missing at the end.
      const chain = at('chain.yaml');
      await symlink('moved.yaml', chain);
      expect(errorLines(await loadConfig(chain))).toEqual([`${chain}: a symbolic link to ${at('moved-away.yaml')}, which does not exist`]);
    });
  });
});

describe('loadConfig: symbolic links in a config folder', () => {
  const loaded = (r: LoadResult): { files: string[]; probes: string[] } => {
    if (!r.ok) throw new Error(r.errors.map(formatConfigIssue).join('\n'));
    return { files: r.config.files, probes: [...r.config.probes.keys()] };
  };

  it('loads a Kubernetes ConfigMap mount once: each visible link, not the hidden copies behind ..data', async () => {
    // As the kubelet writes a ConfigMap volume: the files in a timestamped folder, ..data pointing at it, and a link per key.
    const cfg = join(dir, 'configmap');
    const stamp = '..2026_11_28_10_15_42.3184902631';
    await mkdir(join(cfg, stamp), { recursive: true });
    await writeFile(join(cfg, stamp, 'probes.yaml'), probe('a'));
    await writeFile(join(cfg, stamp, 'more-probes.yml'), probe('b'));
    await symlink(stamp, join(cfg, '..data'));
    await symlink('..data/probes.yaml', join(cfg, 'probes.yaml'));
    await symlink('..data/more-probes.yml', join(cfg, 'more-probes.yml'));
    expect(loaded(await loadConfig(cfg))).toEqual({ files: [join(cfg, 'more-probes.yml'), join(cfg, 'probes.yaml')], probes: ['b', 'a'] });
    // The folder mounted through a link of its own.
    await symlink(cfg, join(dir, 'configmap-link'));
    expect(loaded(await loadConfig(join(dir, 'configmap-link'))).probes).toEqual(['b', 'a']);
  });

  it('walks a linked folder, and reads each folder and file once however many links lead to it', async () => {
    const root = join(dir, 'links');
    const tree = join(root, 'tree');
    await mkdir(join(tree, 'real'), { recursive: true });
    await mkdir(join(root, 'elsewhere'));
    await writeFile(join(tree, 'real', 'x.yaml'), probe('x'));
    await writeFile(join(root, 'elsewhere', 'y.yaml'), probe('y'));
    await symlink('../elsewhere', join(tree, 'more')); // a folder outside the config folder
    await symlink('.', join(tree, 'loop')); // the folder itself
    await symlink('..', join(tree, 'up')); // its parent, which holds it
    await symlink('real', join(tree, 'zz-alias')); // a folder already read
    await symlink('real/x.yaml', join(tree, 'zz-x.yaml')); // a file already read
    expect(loaded(await loadConfig(tree))).toEqual({ files: [join(tree, 'more', 'y.yaml'), join(tree, 'real', 'x.yaml')], probes: ['y', 'x'] });
  });

  it('reports a broken link as what it is, instead of skipping it', async () => {
    const folder = join(dir, 'broken-links');
    await mkdir(folder);
    await writeFile(join(folder, 'ok.yaml'), probe('ok'));
    await symlink('moved-away.yaml', join(folder, 'gone.yaml'));
    await symlink('no-such-folder', join(folder, 'scenarios'));
    await symlink('missing.txt', join(folder, 'notes.txt'));
    await symlink('self.yaml', join(folder, 'self.yaml'));
    const r = await loadConfig(folder);
    expect(errorLines(r)).toEqual([
      `${join(folder, 'gone.yaml')}: a symbolic link to ${join(folder, 'moved-away.yaml')}, which does not exist`,
      `${join(folder, 'scenarios')}: a symbolic link to ${join(folder, 'no-such-folder')}, which does not exist`,
      `${join(folder, 'self.yaml')}: a loop of symbolic links`,
    ]);
    // Not a config file: said, but not an error.
    expect(r.warnings.map(formatConfigIssue)).toEqual([`${join(folder, 'notes.txt')}: warning: a symbolic link to ${join(folder, 'missing.txt')}, which does not exist; skipped`]);
    expect(errorLines(await loadConfig(join(folder, 'self.yaml')))).toEqual([`${join(folder, 'self.yaml')}: a loop of symbolic links`]);
    // A folder whose one config file is a broken link: that, not "no .yaml or .yml files found".
    const only = join(dir, 'broken-only');
    await mkdir(only);
    await symlink('../broken-links/moved-away.yaml', join(only, 'probes.yaml'));
    expect(errorLines(await loadConfig(only))).toEqual([`${join(only, 'probes.yaml')}: a symbolic link to ${join(folder, 'moved-away.yaml')}, which does not exist`]);
  });
});

describe('loadConfigText', () => {
  it('a tag key that is not a label name: the error points at the key and says what a key must be', () => {
    // zod's own words were 'Invalid key in record; found "x"', quoting the tag's value as what was found.
    const r = loadConfigText(`apiVersion: burnwatch/v1
kind: Probe
metadata: { name: p }
spec:
  target: http://127.0.0.1:9
  scenario: { executor: constant-vus, vus: 1, duration: 1s, tags: { bad-key: x } }
  requests:
    - name: a
      url: /x
      tags: { "9lives": y }
`);
    expect(r.ok).toBe(false);
    expect(r.ok ? [] : r.errors.map(formatConfigIssue)).toEqual([
      '<config>:6:69 spec.scenario.tags.bad-key: key "bad-key": expected a label name like team_name',
      '<config>:10:15 spec.requests[0].tags["9lives"]: key "9lives": expected a label name like team_name',
    ]);
  });

  it('parses durations and percentages once into milliseconds and ratios', () => {
    const r = loadConfigText(
      probe('p') +
        `---
apiVersion: burnwatch/v1
kind: SLO
metadata: { name: s }
spec: { probe: p, indicator: { latency: { thresholdMs: 250 } }, objective: 99.95, window: 28d }
`,
    );
    if (!r.ok) throw new Error(r.errors.map(formatConfigIssue).join('\n'));
    const scenario = r.config.probes.get('p')!.scenario;
    expect(scenario.executor === 'constant-arrival-rate' && scenario.duration).toBe(30_000);
    expect(scenario.gracefulStop).toBe(30_000);
    const slo = r.config.slos.get('s')!;
    expect(slo.objectivePercent).toBe(99.95);
    expect(slo.window).toEqual({ kind: 'rolling', durationMs: 28 * 86_400_000 });
  });

  it('substitutes ${VAR}, ${VAR:-default} and $${ and types unquoted values', () => {
    const text = `apiVersion: burnwatch/v1
kind: Service
metadata: { name: svc }
spec:
  authToken: "\${TOKEN}"
  maxRps: \${MAX_RPS}
  dataDir: \${DATA_DIR:-/var/lib/burnwatch}
---
apiVersion: burnwatch/v1
kind: Notifier
metadata: { name: hook }
spec: { webhook: { url: "http://127.0.0.1:9000/hook", headers: { X-Literal: "$\${NOT_A_VAR}" } } }
`;
    const r = loadConfigText(text, 'svc.yaml', { env: { TOKEN: 's3cret-token', MAX_RPS: '1200' } });
    if (!r.ok) throw new Error(r.errors.map(formatConfigIssue).join('\n'));
    expect(r.config.service.authToken).toBe('s3cret-token');
    expect(r.config.service.maxRps).toBe(1200);
    expect(r.config.service.dataDir).toBe('/var/lib/burnwatch');
    expect(r.config.notifiers.get('hook')?.webhook?.headers['X-Literal']).toBe('${NOT_A_VAR}');
    // Values under secret-looking keys (token, password, url, headers...) are redacted; a rate is not.
    expect(r.config.secrets).toEqual(['s3cret-token']);
  });

  it('treats every value from the environment as a secret, but for plainly non-secret keys', () => {
    const text = `${probe('p').replace('target: http://127.0.0.1:8081', 'target: "http://bot:${PASS}@127.0.0.1:8081"')}---
apiVersion: burnwatch/v1
kind: Service
metadata: { name: s }
spec:
  listen: "\${LISTEN}"
  logLevel: \${LEVEL}
`;
    const r = loadConfigText(text, 'p.yaml', { env: { PASS: 'hunter2-secret', LISTEN: '0.0.0.0:8080', LEVEL: 'debug' } });
    if (!r.ok) throw new Error(r.errors.map(formatConfigIssue).join('\n'));
    expect(r.config.probes.get('p')?.target).toBe('http://bot:hunter2-secret@127.0.0.1:8081');
    expect(r.config.secrets).toEqual(['hunter2-secret']);
  });

  it('rejects duplicate names of one kind, naming the first definition', () => {
    const lines = errorLines(loadConfigText(`${probe('dup')}---${probe('dup')}`, 'dups.yaml'));
    expect(lines).toEqual([expect.stringMatching(/^dups\.yaml:\d+:\d+ metadata\.name: duplicate Probe name "dup"; first defined in dups\.yaml:4$/)]);
  });

  it('skips empty documents (a leading, doubled or trailing ---) but reports an explicit null one', () => {
    const trailing = loadConfigText(`${probe('p')}---\n`, 't.yaml');
    if (!trailing.ok) throw new Error(trailing.errors.map(formatConfigIssue).join('\n'));
    expect([...trailing.config.probes.keys()]).toEqual(['p']);
    const doubled = loadConfigText(`---\n---\n${probe('p').trimStart()}---\n# nothing here\n`, 'd.yaml');
    if (!doubled.ok) throw new Error(doubled.errors.map(formatConfigIssue).join('\n'));
    expect([...doubled.config.probes.keys()]).toEqual(['p']);
    expect(loadConfigText('---\n---\n', 'seps.yaml').ok).toBe(true);
    expect(errorLines(loadConfigText(`${probe('p')}--- ~\n`, 'n.yaml'))).toEqual([
      'n.yaml:11:5: expected a document with apiVersion, kind, metadata and spec; found null',
    ]);
    expect(errorLines(loadConfigText('- a\n', 'l.yaml'))).toEqual(['l.yaml:1:1: expected a document with apiVersion, kind, metadata and spec; found a list']);
    expect(errorLines(loadConfigText('just text\n', 's.yaml'))).toEqual(['s.yaml:1:1: expected a document with apiVersion, kind, metadata and spec; found string']);
  });

  describe('an unquoted {{template}}, which YAML reads as a mapping inside a mapping', () => {
    const warnings = (): MockInstance<typeof process.emitWarning> => vi.spyOn(process, 'emitWarning');
    afterEach(() => {
      vi.restoreAllMocks();
    });

    it('as a value: says to quote it, at its position, instead of sending {"{ eventBatch 50 }":null} or "found a mapping"', () => {
      const warn = warnings();
      expect(errorLines(loadConfigText(probe('p', '      method: POST\n      body: {{eventBatch 50}}\n'), 'b.yaml'))).toEqual([
        'b.yaml:12:13 spec.requests[0].body: `{{eventBatch 50}}` must be quoted in YAML: write body: "{{eventBatch 50}}"',
      ]);
      expect(errorLines(loadConfigText(probe('p').replace('url: /healthz', 'url: {{randInt 1 5}}'), 'u.yaml'))).toEqual([
        'u.yaml:10:12 spec.requests[0].url: `{{randInt 1 5}}` must be quoted in YAML: write url: "{{randInt 1 5}}"',
        // What the quoted value would get, checked now rather than after the edit.
        'u.yaml:10:12 spec.requests[0].url: "{{randInt 1 5}}" is neither a path starting with "/" (relative to target) nor an absolute http(s) URL',
      ]);
      expect(errorLines(loadConfigText(probe('p', '      headers: { X-Id: {{ userId 1 5 }} }\n'), 'h.yaml'))).toEqual([
        'h.yaml:11:24 spec.requests[0].headers.X-Id: `{{ userId 1 5 }}` must be quoted in YAML: write X-Id: "{{ userId 1 5 }}"',
      ]);
      // An unquoted ${VAR} whose value looks like one is the variable's text, as it is for any value YAML would make a mapping of.
      const fromEnv = loadConfigText(probe('p', '      method: POST\n      body: ${BODY}\n'), 'e.yaml', { env: { BODY: '{{eventBatch 50}}' } });
      expect(fromEnv.ok && fromEnv.config.probes.get('p')?.requests[0]?.body).toBe('{{eventBatch 50}}');
      expect(warn).not.toHaveBeenCalled();
    });

    it('inside a value of a flow mapping: one hint instead of a run of YAML syntax errors', () => {
      const text = probe('p').replace('    - name: get\n      url: /healthz\n', '    - { name: a, url: /x?u={{randInt 1 5}}&v=1 }\n');
      expect(errorLines(loadConfigText(text, 'f.yaml'))).toEqual([
        'f.yaml:9:28: `{{randInt 1 5}}` must be quoted in YAML: write url: "/x?u={{randInt 1 5}}&v=1"',
      ]);
    });

    it('any other mapping or list used as a key is an error, not a stringified key', () => {
      const warn = warnings();
      const lines = errorLines(loadConfigText(probe('p', '  thresholds: { [a, b]: ["count>1"] }\n'), 'k.yaml'));
      expect(lines).toContain('k.yaml:11:17 spec.thresholds: a key must be a string; found a list');
      expect(warn).not.toHaveBeenCalled();
    });
  });

  it('reports YAML syntax errors with their position', () => {
    const lines = errorLines(loadConfigText('apiVersion: burnwatch/v1\nkind: [Probe\n', 'bad.yaml'));
    expect(lines[0]).toMatch(/^bad\.yaml:\d+:\d+: YAML syntax: /);
  });

  it('rejects duplicate keys in one mapping', () => {
    const lines = errorLines(loadConfigText('apiVersion: burnwatch/v1\nkind: Probe\nkind: SLO\nmetadata: { name: x }\nspec: {}\n', 'k.yaml'));
    expect(lines[0]).toMatch(/^k\.yaml:3:1: YAML syntax: Map keys must be unique/);
  });

  it('reports every problem of a broken probe in one pass: schema, templates (each bad tag), request checks and thresholds', () => {
    const text = `
apiVersion: burnwatch/v1
kind: Probe
metadata: { name: broken }
spec:
  target: http://127.0.0.1:8081
  scenario: { executor: per-vu-iterations, vus: 0 }
  requests:
    - { name: a, url: "/x?u={{userid 1 5}}&v={{randInt 5 1}}", timeout: 5 }
    - { name: b, url: "/y", headers: { X-A: "{{pick}}" } }
  thresholds:
    http_req_duration: ["p95<500"]
    http_req_duration{request:zzz}: ["avg<1"]
`;
    const lines = errorLines(loadConfigText(text, 'b.yaml'));
    const find = (re: RegExp): string | undefined => lines.find((l) => re.test(l));
    expect(find(/spec\.scenario\.vus: /)).toBeDefined();
    expect(find(/spec\.requests\[0\]\.timeout: /)).toBeDefined();
    expect(find(/spec\.requests\[0\]\.url: unknown generator "userid".*; \{\{randInt 5 1\}\}: MIN must not be greater than MAX/)).toBeDefined();
    expect(find(/spec\.requests\[1\]\.headers\.X-A: /)).toBeDefined();
    expect(find(/spec\.thresholds\.http_req_duration\[0\]: "p95" is not an aggregation/)).toBeDefined();
    expect(find(/spec\.thresholds\["http_req_duration\{request:zzz\}"\]: no request named "zzz"/)).toBeDefined();
    expect(lines).toHaveLength(6);
  });

  it('rejects a __proto__ key, which would otherwise vanish silently (and validate)', () => {
    const text = probe('p', '      expect: { json: { "__proto__": 1 } }\n  thresholds: { "__proto__": ["count>1"] }\n');
    expect(errorLines(loadConfigText(text, 'p.yaml'))).toEqual([
      'p.yaml:11:25 spec.requests[0].expect.json: the key "__proto__" is not allowed',
      'p.yaml:12:17 spec.thresholds: the key "__proto__" is not allowed',
    ]);
  });

  it('names the expected kinds and api versions', () => {
    expect(errorLines(loadConfigText('apiVersion: burnwatch/v1\nkind: Probes\nmetadata: { name: x }\nspec: {}\n', 'k.yaml'))).toEqual([
      'k.yaml:2:7 kind: unknown kind "Probes" (did you mean Probe?); expected one of Probe, SLO, Notifier, Report, Service',
    ]);
    expect(errorLines(loadConfigText('apiVersion: burnwatch/v1\nkind: Servce\nmetadata: { name: x }\nspec: {}\n', 'k.yaml'))).toEqual([
      'k.yaml:2:7 kind: unknown kind "Servce" (did you mean Service?); expected one of Probe, SLO, Notifier, Report, Service',
    ]);
    expect(errorLines(loadConfigText('apiVersion: burnwatch/v2\nkind: Probe\nmetadata: { name: x }\nspec: {}\n', 'k.yaml'))[0]).toMatch(
      /^k\.yaml:1:13 apiVersion: expected apiVersion to be one of burnwatch\/v1, openslo\/v1; found "burnwatch\/v2"$/,
    );
  });

  it('reports a missing required key at its parent', () => {
    const lines = errorLines(
      loadConfigText('apiVersion: burnwatch/v1\nkind: SLO\nmetadata: { name: s }\nspec:\n  indicator: { errorRate: {} }\n  objective: 99\n', 's.yaml'),
    );
    expect(lines).toEqual(['s.yaml:5:3 spec.probe: missing required key; expected the name of a Probe']);
  });

  it('explains union mistakes with the branch that was meant', () => {
    const slo = (body: string): string => `${probe('p')}---\napiVersion: burnwatch/v1\nkind: SLO\nmetadata: { name: s }\nspec: { probe: p, objective: 99, ${body} }\n`;
    expect(errorLines(loadConfigText(slo('indicator: { errorRate: {} }, window: 3x'), 'u.yaml'))).toEqual([
      expect.stringContaining('spec.window: "3x" is not a duration'),
    ]);
    expect(errorLines(loadConfigText(slo('indicator: { errorRate: {} }, budgeting: slices'), 'u.yaml'))).toEqual([
      expect.stringMatching(/spec\.budgeting: expected .*occurrences.*timeslices.*; found "slices"$/),
    ]);
    expect(errorLines(loadConfigText(slo('indicator: { errorRate: {}, uptime: {} }'), 'u.yaml'))).toEqual([
      expect.stringContaining('spec.indicator: expected exactly one indicator, found errorRate and uptime'),
    ]);
    expect(errorLines(loadConfigText(slo('indicator: { errorRate: {} }, window: { calendar: year }'), 'u.yaml'))).toEqual([
      expect.stringContaining('spec.window.calendar: expected calendar to be week or month; found "year"'),
    ]);
  });

  it('checks references to notifiers, SLOs and probe requests', () => {
    const text = `${probe('p')}---
apiVersion: burnwatch/v1
kind: SLO
metadata: { name: s }
spec: { probe: p, indicator: { latency: { thresholdMs: 100, request: gett } }, objective: 99, alerting: { notify: [pager] } }
---
apiVersion: burnwatch/v1
kind: Report
metadata: { name: weekly }
spec: { notifier: mail, slos: [s, t] }
`;
    const lines = errorLines(loadConfigText(text, 'refs.yaml'));
    expect(lines).toEqual([
      expect.stringContaining('spec.indicator.latency.request: probe "p" has no request "gett"; its requests: "get"'),
      expect.stringContaining('spec.alerting.notify[0]: no Notifier named "pager"; defined notifiers: none defined'),
      expect.stringContaining('spec.notifier: no Notifier named "mail"; defined notifiers: none defined'),
      expect.stringContaining('spec.slos[1]: no SLO named "t"; defined SLOs: "s"'),
    ]);
  });

  it('accepts at most one Service document', () => {
    const svc = 'apiVersion: burnwatch/v1\nkind: Service\nmetadata: { name: a }\nspec: {}\n';
    const lines = errorLines(loadConfigText(`${svc}---\n${svc.replace('name: a', 'name: b')}`, 'svc.yaml'));
    expect(lines).toEqual(['svc.yaml:7:7 kind: a config holds at most one Service document']);
  });
});

describe('probe checks beyond the schema', () => {
  it('rejects an invalid cron schedule with the field that is wrong', () => {
    const lines = errorLines(loadConfigText(probe('p', '  schedule: "* * *"\n'), 'cron.yaml'));
    expect(lines).toEqual([expect.stringMatching(/^cron\.yaml:\d+:\d+ spec\.schedule: "\* \* \*" is not a valid cron schedule \(expected 5 or 6 fields but got 3\); expected 5 fields/)]);
  });

  it('accepts a six-field schedule with seconds, for uptime probes', () => {
    const r = loadConfigText(probe('p', '  schedule: "*/10 * * * * *"\n'), 'cron.yaml');
    expect(r.ok).toBe(true);
  });

  it('rejects an invalid threshold expression at its key', () => {
    const lines = errorLines(loadConfigText(probe('p', '  thresholds: { http_req_duration: ["p(95)<<500"] }\n'), 't.yaml'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^t\.yaml:\d+:\d+ spec\.thresholds\.http_req_duration/);
  });

  it('rejects a summaryTrendStats entry k6 would not take, at its index', () => {
    expect(errorLines(loadConfigText(probe('p', '  summaryTrendStats: [avg, p99, p(101)]\n'), 't.yaml'))).toEqual([
      expect.stringMatching(/^t\.yaml:\d+:\d+ spec\.summaryTrendStats\[1\]: "p99" is not a trend stat; expected avg, min, med, max, count or p\(N\), e\.g\. p\(99\.99\)$/),
      expect.stringMatching(/^t\.yaml:\d+:\d+ spec\.summaryTrendStats\[2\]: "p\(101\)": a percentile is at most p\(100\)$/),
    ]);
    expect(errorLines(loadConfigText(probe('p', '  summaryTrendStats: []\n'), 't.yaml'))).toEqual([expect.stringMatching(/spec\.summaryTrendStats: expected at least one trend stat/)]);
  });

  it('says a bound that excludes its end as it is: a rate of 0 is not "at least 0"', () => {
    const svc = 'apiVersion: burnwatch/v1\nkind: Service\nmetadata: { name: s }\nspec: { maxRps: 0 }\n---';
    const lines = errorLines(loadConfigText(svc + probe('p'), 'zero.yaml'));
    expect(lines).toEqual([expect.stringMatching(/^zero\.yaml:\d+:\d+ spec\.maxRps: expected a number greater than 0$/)]);
  });

  it('refuses an evaluationInterval below 1s (every round reads every SLO’s windows; 1ms would spin a core)', () => {
    const svc = 'apiVersion: burnwatch/v1\nkind: Service\nmetadata: { name: s }\nspec: { evaluationInterval: 1ms }\n---';
    expect(errorLines(loadConfigText(svc + probe('p'), 'eval.yaml'))).toEqual([
      expect.stringMatching(/^eval\.yaml:\d+:\d+ spec\.evaluationInterval: expected at least 1s: every evaluation reads each SLO’s windows, and its data comes in minute buckets; found "1ms"$/),
    ]);
    const ok = 'apiVersion: burnwatch/v1\nkind: Service\nmetadata: { name: s }\nspec: { evaluationInterval: 1s }\n---';
    expect(loadConfigText(ok + probe('p'), 'eval.yaml').ok).toBe(true);
  });

  it('rejects a probe whose peak rate is above the service cap instead of clipping it', () => {
    const svc = 'apiVersion: burnwatch/v1\nkind: Service\nmetadata: { name: s }\nspec: { maxRps: 5 }\n---';
    const lines = errorLines(loadConfigText(svc + probe('p'), 'cap.yaml'));
    expect(lines).toEqual([
      expect.stringMatching(/^cap\.yaml:\d+:\d+ spec\.scenario: the scenario's peak arrival rate is 10 requests\/s, above the service's maxRps of 5; lower the rate or raise maxRps/),
    ]);
  });
});

describe('OpenSLO v1 documents', () => {
  it('loads the OpenSLO example beside burnwatch kinds', async () => {
    const r = await loadConfig('examples/openslo.yaml');
    if (!r.ok) throw new Error(r.errors.map(formatConfigIssue).join('\n'));
    const budgeting = [...r.config.slos.values()].map((s) => s.budgeting.method).sort();
    expect(budgeting).toEqual(expect.arrayContaining(['occurrences', 'ratioTimeslices', 'timeslices']));
    expect([...r.config.slos.values()].every((s) => s.spec === 'openslo/v1')).toBe(true);
  });

  it('reports what cannot be mapped at its line in the file', () => {
    const text = `${probe('p')}---
apiVersion: openslo/v1
kind: SLO
metadata: { name: broken }
spec:
  service: shop
  budgetingMethod: Weekly
  objectives: [{ target: 0.99 }]
`;
    const lines = errorLines(loadConfigText(text, 'o.yaml'));
    expect(lines).toEqual([expect.stringMatching(/^o\.yaml:17:20 spec\.budgetingMethod: expected budgetingMethod Occurrences, Timeslices or RatioTimeslices/)]);
  });

  it('lets a Report name OpenSLO SLOs (one per objective), and still says which SLOs exist when it names none', () => {
    const text = `${probe('p')}---
apiVersion: burnwatch/v1
kind: Notifier
metadata: { name: mail }
spec: { webhook: { url: "http://127.0.0.1:9/hook" } }
---
apiVersion: openslo/v1
kind: SLO
metadata: { name: avail }
spec:
  indicator:
    metadata: { name: i }
    spec:
      ratioMetric:
        good: { metricSource: { type: burnwatch, spec: { probe: p, errorRate: {} } } }
        total: { metricSource: { type: burnwatch, spec: { probe: p } } }
  budgetingMethod: Occurrences
  objectives: [{ target: 0.99 }, { target: 0.9 }]
---
apiVersion: burnwatch/v1
kind: Report
metadata: { name: weekly }
spec: { notifier: mail, slos: [avail-0, avail-1] }
`;
    const r = loadConfigText(text, 'rep.yaml');
    if (!r.ok) throw new Error(r.errors.map(formatConfigIssue).join('\n'));
    expect([...r.config.slos.keys()]).toEqual(['avail-0', 'avail-1']);
    expect(errorLines(loadConfigText(text.replace('slos: [avail-0, avail-1]', 'slos: [avail-2]'), 'rep.yaml'))).toEqual([
      expect.stringContaining('spec.slos[0]: no SLO named "avail-2"; did you mean "avail-0"? Defined SLOs: "avail-0", "avail-1"'),
    ]);
  });

  it('reports an OpenSLO objective whose SLO name (name-i) a burnwatch SLO already has, instead of dropping it silently', () => {
    const text = `${probe('p')}---
apiVersion: openslo/v1
kind: SLO
metadata: { name: avail }
spec:
  indicator:
    metadata: { name: i }
    spec:
      ratioMetric:
        good: { metricSource: { type: burnwatch, spec: { probe: p, errorRate: {} } } }
        total: { metricSource: { type: burnwatch, spec: { probe: p } } }
  budgetingMethod: Occurrences
  objectives: [{ target: 0.99 }, { target: 0.9 }]
---
apiVersion: burnwatch/v1
kind: SLO
metadata: { name: avail-0 }
spec: { probe: p, indicator: { errorRate: {} }, objective: 99 }
`;
    expect(errorLines(loadConfigText(text, 'd.yaml'))).toEqual([expect.stringMatching(/^d\.yaml:\d+:\d+ metadata\.name: an SLO named "avail-0" is already defined by a burnwatch\/v1 document$/)]);
  });

  it('reports an excludeStatus the probe expects at the OpenSLO document that wrote it, not at one whose name its name starts with', () => {
    const sli = (indicator: string): string => `  indicator:
    metadata: { name: i }
    spec:
      ratioMetric:
        good: { metricSource: { type: burnwatch, spec: { probe: p, ${indicator} } } }
        total: { metricSource: { type: burnwatch, spec: { probe: p } } }
  budgetingMethod: Occurrences
  objectives: [{ target: 0.99 }]
`;
    const text = `${probe('p')}---
apiVersion: openslo/v1
kind: SLO
metadata: { name: a }
spec:
${sli('errorRate: {}')}---
apiVersion: openslo/v1
kind: SLO
metadata: { name: api }
spec:
${sli('errorRate: { excludeStatus: [204] }')}`;
    const lines = errorLines(loadConfigText(text, 'o.yaml'));
    const apiDoc = text.split('\n').indexOf('metadata: { name: api }') + 1;
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^o\.yaml:(\d+):\d+ spec\.indicator: 204 is a status request "\w+" of probe "p" expects \(its expect\.status, by default 200–399\)/);
    expect(Number(/^o\.yaml:(\d+):/.exec(lines[0]!)![1])).toBeGreaterThan(apiDoc);
  });

  it('checks the request an SLI names against its probe, as for burnwatch SLOs (a typo would leave the SLO without data)', () => {
    const text = `${probe('p')}---
apiVersion: openslo/v1
kind: SLO
metadata: { name: ratio }
spec:
  indicator:
    metadata: { name: i }
    spec:
      ratioMetric:
        good: { metricSource: { type: burnwatch, spec: { probe: p, request: gett, errorRate: {} } } }
        total: { metricSource: { type: burnwatch, spec: { probe: p, request: gett } } }
  budgetingMethod: Occurrences
  objectives: [{ target: 0.99 }]
---
apiVersion: openslo/v1
kind: SLO
metadata: { name: threshold }
spec:
  indicator:
    metadata: { name: j }
    spec:
      thresholdMetric: { metricSource: { type: burnwatch, spec: { probe: p, request: gett, metric: latency } } }
  budgetingMethod: Occurrences
  objectives: [{ op: lte, value: 100, target: 0.99 }]
`;
    expect(errorLines(loadConfigText(text, 'req.yaml'))).toEqual([
      expect.stringMatching(/^req\.yaml:\d+:\d+ spec\.indicator\.spec\.ratioMetric\.good\.metricSource\.spec\.request: probe "p" has no request "gett"; its requests: "get"$/),
      expect.stringMatching(/^req\.yaml:\d+:\d+ spec\.indicator\.spec\.thresholdMetric\.metricSource\.spec\.request: probe "p" has no request "gett"; its requests: "get"$/),
    ]);
  });
});
