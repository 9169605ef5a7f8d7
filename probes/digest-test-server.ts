/**
 * Tests only: a node:http server guarding every path with Digest auth,
 * checking each answer as RFC 7616 §3.4.1 computes it (MD5 or SHA-256,
 * `-sess`, qop auth / auth-int / none, the nonce count rising per nonce),
 * and recording what it saw. node:http itself, not testServer: auth-int
 * hashes the request bodies, which testServer drops.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DigestServerOptions {
  /** The one user (default "ann") and its password (default "s3cr:et"). */
  user?: string;
  password?: string;
  /** The protection space of a path (default "api@test" everywhere). */
  realmFor?: (url: string) => string;
  /** Echoed back by a right answer; undefined: the challenge has none. Default "op42". */
  opaque?: string | undefined;
  algorithm?: 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess';
  /** The qop the challenge offers (`"auth"`, `"auth, auth-int"`); undefined: none (RFC 2069). */
  qop?: string;
  /** Send this WWW-Authenticate instead of a Digest challenge. */
  challenge?: string;
  /** The first right answer gets 401 stale=true (its nonce just expired). */
  staleOnce?: boolean;
  /** Each nonce is good for one request: a right answer with a used nonce gets 401 stale=true (RFC 7616 §3.3). */
  singleUse?: boolean;
  /** Paths that redirect (302) once authenticated: path → location. */
  redirects?: Record<string, string>;
  /** Before any check: return true to take the request over (drop the connection, say). */
  before?: (req: IncomingMessage, res: ServerResponse) => boolean;
}

export interface DigestSeen {
  method: string;
  url: string;
  authorization: string | undefined;
  status: number;
}

export interface DigestServer {
  url: string;
  port: number;
  seen: DigestSeen[];
  close(): Promise<void>;
}

/** The params of an Authorization: Digest header (quoted strings unescaped). */
export function digestParams(header: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of header.replace(/^Digest\s+/i, '').matchAll(/([a-z0-9-]+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]+))/gi)) out.set(m[1]!.toLowerCase(), m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!);
  return out;
}

export async function digestServer(options: DigestServerOptions = {}): Promise<DigestServer> {
  const seen: DigestSeen[] = [];
  const user = options.user ?? 'ann';
  const password = options.password ?? 's3cr:et';
  const opaque = 'opaque' in options ? options.opaque : 'op42';
  const algorithm = options.algorithm ?? 'MD5';
  const hashName = algorithm.startsWith('SHA-256') ? 'sha256' : 'md5';
  const H = (t: string | Buffer): string => createHash(hashName).update(t).digest('hex');
  const issued = new Set<string>();
  const used = new Set<string>();
  const lastNc = new Map<string, number>();
  let staleDone = false;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (options.before?.(req, res)) return;
      const body = Buffer.concat(chunks);
      const authorization = req.headers.authorization;
      const realm = options.realmFor?.(req.url!) ?? 'api@test';
      const record = (status: number): void => {
        seen.push({ method: req.method!, url: req.url!, authorization, status });
      };
      const challenge = (stale = false): void => {
        record(401);
        const nonce = randomBytes(8).toString('hex');
        issued.add(nonce);
        res.statusCode = 401;
        const qop = options.qop !== undefined ? `, qop="${options.qop}"` : '';
        res.setHeader('www-authenticate', options.challenge ?? `Digest realm="${realm}", nonce="${nonce}"${opaque !== undefined ? `, opaque="${opaque}"` : ''}, algorithm=${algorithm}${qop}${stale ? ', stale=true' : ''}`);
        res.end('unauthorized');
      };
      if (authorization === undefined || !authorization.startsWith('Digest ')) return challenge();
      const p = digestParams(authorization);
      const nonce = p.get('nonce')!;
      if (!issued.has(nonce) || p.get('opaque') !== opaque || p.get('uri') !== req.url || p.get('realm') !== realm || p.get('username') !== user) return challenge();
      let ha1 = H(`${user}:${realm}:${password}`);
      if (algorithm.endsWith('-sess')) ha1 = H(`${ha1}:${nonce}:${p.get('cnonce')}`);
      const qop = p.get('qop');
      const ha2 = H(qop === 'auth-int' ? `${req.method}:${req.url}:${H(body)}` : `${req.method}:${req.url}`);
      const expected = qop === undefined ? H(`${ha1}:${nonce}:${ha2}`) : H(`${ha1}:${nonce}:${p.get('nc')}:${p.get('cnonce')}:${qop}:${ha2}`);
      if (p.get('response') !== expected) return challenge();
      if (qop !== undefined) {
        // Each nonce count is used once, and rises (RFC 7616 §3.4: replay protection).
        const nc = parseInt(p.get('nc')!, 16);
        if (nc <= (lastNc.get(nonce) ?? 0)) return challenge();
        lastNc.set(nonce, nc);
      }
      if (options.staleOnce && !staleDone) {
        staleDone = true;
        return challenge(true);
      }
      if (options.singleUse) {
        if (used.has(nonce)) return challenge(true);
        used.add(nonce);
      }
      const location = options.redirects?.[req.url!];
      if (location !== undefined) {
        res.statusCode = 302;
        res.setHeader('location', location);
      }
      record(res.statusCode);
      res.end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
