/**
 * auth: digest against a real Digest server: Apache httpd's mod_auth_digest
 * (Debian `apache2-bin`), the server most Digest-protected endpoints run.
 * Apache is required in CI (`process.env.CI`); locally the suite is skipped
 * when it is not installed.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, requireBinary } from '../test/tools.ts';
import { startRun } from './run.ts';
import { iterations, probe } from './test-support.ts';

const apache = requireBinary('apache2');
const MODULES = '/usr/lib/apache2/modules';

let dir = '';
let port = 0;
let child: ChildProcess | undefined;

function listening(p: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(p, '127.0.0.1', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

beforeAll(async () => {
  if (apache.skip) return;
  const bin = apache.need();
  dir = mkdtempSync(join(tmpdir(), 'bw-apache-'));
  mkdirSync(join(dir, 'htdocs', 'private'), { recursive: true });
  writeFileSync(join(dir, 'htdocs', 'private', 'flags.json'), '{"ok":true}\n');
  mkdirSync(join(dir, 'htdocs', 'zurich'), { recursive: true });
  writeFileSync(join(dir, 'htdocs', 'zurich', 'flags.json'), '{"ok":true}\n');
  // htdigest's format: user:realm:MD5(user:realm:password).
  // A realm beyond ASCII (AuthName "Zürich"): Apache sends and hashes its UTF-8 bytes; so does Go's client.
  writeFileSync(
    join(dir, 'htdigest'),
    `ann:burnwatch:${createHash('md5').update('ann:burnwatch:s3cr:et').digest('hex')}\nann:Zürich:${createHash('md5').update('ann:Zürich:s3cr:et', 'utf8').digest('hex')}\n`,
  );
  port = await freePort();
  const root = process.getuid?.() === 0;
  writeFileSync(
    join(dir, 'httpd.conf'),
    [
      `ServerRoot ${dir}`,
      'ServerName 127.0.0.1',
      `Listen 127.0.0.1:${port}`,
      `PidFile ${dir}/httpd.pid`,
      `ErrorLog ${dir}/error.log`,
      'LogLevel warn',
      ...['mpm_event', 'authn_core', 'authn_file', 'authz_core', 'authz_user', 'auth_digest'].map((m) => `LoadModule ${m}_module ${MODULES}/mod_${m}.so`),
      // As root Apache drops to this user, which must read the files.
      ...(root ? ['User nobody', 'Group nogroup'] : []),
      `DocumentRoot ${dir}/htdocs`,
      `<Directory ${dir}/htdocs>`,
      '  Require all granted',
      '</Directory>',
      '<Location /private>',
      '  AuthType Digest',
      '  AuthName "burnwatch"',
      '  AuthDigestProvider file',
      `  AuthUserFile ${dir}/htdigest`,
      '  Require valid-user',
      '</Location>',
      '<Location /zurich>',
      '  AuthType Digest',
      '  AuthName "Zürich"',
      '  AuthDigestProvider file',
      `  AuthUserFile ${dir}/htdigest`,
      '  Require valid-user',
      '</Location>',
      '',
    ].join('\n'),
  );
  // Apache, dropped to nobody, must read the files (mkdtemp makes the folder 0700).
  for (const d of [dir, join(dir, 'htdocs'), join(dir, 'htdocs', 'private'), join(dir, 'htdocs', 'zurich')]) chmodSync(d, 0o755);
  for (const f of [join(dir, 'htdigest'), join(dir, 'htdocs', 'private', 'flags.json'), join(dir, 'htdocs', 'zurich', 'flags.json')]) chmodSync(f, 0o644);
  // -X: one process in the foreground, stopped with the test.
  child = spawn(bin, ['-X', '-f', join(dir, 'httpd.conf')], { stdio: 'ignore' });
  const end = Date.now() + 10_000;
  while (!(await listening(port))) {
    if (Date.now() > end || child.exitCode !== null) {
      let log = '';
      try {
        log = readFileSync(join(dir, 'error.log'), 'utf8');
      } catch {
        // no log written
      }
      throw new Error(`apache2 did not start (exit ${child.exitCode}): ${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}, 20_000);

afterAll(() => {
  child?.kill('SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(apache.skip)('auth: digest against Apache httpd (mod_auth_digest)', () => {
  it('authenticates every iteration, over several VUs and kept-alive connections', async () => {
    const summary = await startRun(
      probe({ target: `http://ann:s3cr%3Aet@127.0.0.1:${port}`, auth: 'digest', scenario: iterations(40, 4), requests: [{ name: 'flags', url: '/private/flags.json', expect: { json: { ok: true } } }] }),
    ).done;
    expect(summary.errors).toEqual([]);
    expect(summary.outcomes.ok).toBe(40);
    expect(summary.challenges).toEqual({ flags: 40 });
  });

  it('answers a realm beyond ASCII (AuthName "Zürich") over its UTF-8 bytes, as Go does', async () => {
    const summary = await startRun(
      probe({ target: `http://ann:s3cr%3Aet@127.0.0.1:${port}`, auth: 'digest', scenario: iterations(3), requests: [{ name: 'zurich', url: '/zurich/flags.json' }] }),
    ).done;
    expect(summary.errors).toEqual([]);
    expect(summary.outcomes.ok).toBe(3);
  });

  it('a wrong password is refused, and says so', async () => {
    const summary = await startRun(probe({ target: `http://ann:nope@127.0.0.1:${port}`, auth: 'digest', scenario: iterations(2), requests: [{ name: 'flags', url: '/private/flags.json' }] })).done;
    expect(summary.outcomes.http_error).toBe(2);
    expect(summary.errors).toEqual([expect.objectContaining({ message: 'HTTP 401 (the server refused the digest credentials)', count: 2 })]);
  });

  it('basic credentials are not what Apache asked for: a 401 (auth: basic, the default)', async () => {
    const summary = await startRun(probe({ target: `http://ann:s3cr%3Aet@127.0.0.1:${port}`, scenario: iterations(1), requests: [{ name: 'flags', url: '/private/flags.json' }] })).done;
    expect(summary.outcomes.http_error).toBe(1);
    expect(summary.errors[0]?.message).toBe('HTTP 401');
  });
});
