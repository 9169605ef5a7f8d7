/**
 * k6's `tlsVersion` and `tlsCipherSuites` options: which TLS versions and
 * (TLS 1.0–1.2) cipher suites the probe's https connections may use.
 *
 * - `tlsVersion` is k6's: a version name (`tls1.2`: that version only) or
 *   `{ min, max }`, either omitted for the default (TLS 1.2 and 1.3, as Go's
 *   client and Node both default to). k6 (lib/options.go `TLSVersions`)
 *   takes `tls1.0` to `tls1.3`; so does burnwatch, rejecting min above max
 *   (Go would fail every handshake).
 * - `tlsCipherSuites` takes k6's names (Go's constants, IANA's names:
 *   `TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`; IANA's
 *   `…_CHACHA20_POLY1305_SHA256` spelling too), mapped here to OpenSSL's
 *   for Node's `ciphers`. As in k6, where Go ignores `CipherSuites` for TLS
 *   1.3, the list restricts TLS 1.0–1.2 only: a TLS 1.3 connection may use
 *   any TLS 1.3 suite. The three TLS 1.3 names are accepted beside TLS 1.2
 *   ones (no effect, as in k6); a list of only TLS 1.3 names, or a list
 *   with `tlsVersion` tls1.3, would change nothing in TLS 1.3 and is a
 *   validation error. A name k6 takes but this Node's OpenSSL lacks (RC4,
 *   3DES) is a validation error, never a silent no-op.
 * - TLS 1.0 and 1.1 need OpenSSL's security level 0 (OpenSSL 3 refuses
 *   them above it): a probe that allows them gets `@SECLEVEL=0`, which
 *   also lets through what that level refuses (small keys, SHA-1
 *   signatures); Go allows those versions when asked, with its own checks.
 * - The options go into the worker's TLS contexts (`TlsContexts`, built once
 *   per worker), so they apply to every https connection of the run:
 *   redirect targets, hosts with and without a `tlsAuth` certificate, and
 *   an https:// proxy (Go's transport uses its TLS config for the proxy
 *   connection too).
 */
import { createSecureContext, DEFAULT_CIPHERS } from 'node:tls';
import type { SecureVersion } from 'node:tls';
import { errorMessage } from '../common/errors.ts';
import { suggest } from '../common/suggest.ts';

/** k6's version names, oldest first. */
export const TLS_VERSIONS = ['tls1.0', 'tls1.1', 'tls1.2', 'tls1.3'] as const;
export type TlsVersionName = (typeof TLS_VERSIONS)[number];

const NODE_VERSION: Record<TlsVersionName, SecureVersion> = { 'tls1.0': 'TLSv1', 'tls1.1': 'TLSv1.1', 'tls1.2': 'TLSv1.2', 'tls1.3': 'TLSv1.3' };
/** Go's client default (and Node's): TLS 1.2 to 1.3. */
const DEFAULT_MIN: TlsVersionName = 'tls1.2';
const DEFAULT_MAX: TlsVersionName = 'tls1.3';

/** The probe's options as the spec has them (validated, or raw). */
export interface TlsOptionsSpec {
  tlsVersion?: string | { min?: string | undefined; max?: string | undefined } | undefined;
  tlsCipherSuites?: string[] | undefined;
}

interface Suite {
  /** OpenSSL's name for Node's `ciphers`; undefined: a TLS 1.3 suite (not configurable). */
  openssl: string | undefined;
  /** An AEAD or SHA-256/384 suite: TLS 1.2 only (Go's `suiteTLS12`). */
  tls12Only: boolean;
}

const suite = (openssl: string | undefined, tls12Only = false): Suite => ({ openssl, tls12Only });

/**
 * k6's `SupportedTLSCipherSuites` (Go's names), with OpenSSL's name for
 * each, plus IANA's `_SHA256` spelling of the two ChaCha20 suites (Go's
 * constants have both; Node's `getCipher().standardName` says IANA's).
 */
export const CIPHER_SUITES: Readonly<Record<string, Suite>> = {
  TLS_RSA_WITH_RC4_128_SHA: suite('RC4-SHA'),
  TLS_RSA_WITH_3DES_EDE_CBC_SHA: suite('DES-CBC3-SHA'),
  TLS_RSA_WITH_AES_128_CBC_SHA: suite('AES128-SHA'),
  TLS_RSA_WITH_AES_256_CBC_SHA: suite('AES256-SHA'),
  TLS_RSA_WITH_AES_128_CBC_SHA256: suite('AES128-SHA256', true),
  TLS_RSA_WITH_AES_128_GCM_SHA256: suite('AES128-GCM-SHA256', true),
  TLS_RSA_WITH_AES_256_GCM_SHA384: suite('AES256-GCM-SHA384', true),
  TLS_ECDHE_ECDSA_WITH_RC4_128_SHA: suite('ECDHE-ECDSA-RC4-SHA'),
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: suite('ECDHE-ECDSA-AES128-SHA'),
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: suite('ECDHE-ECDSA-AES256-SHA'),
  TLS_ECDHE_RSA_WITH_RC4_128_SHA: suite('ECDHE-RSA-RC4-SHA'),
  TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA: suite('ECDHE-RSA-DES-CBC3-SHA'),
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: suite('ECDHE-RSA-AES128-SHA'),
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: suite('ECDHE-RSA-AES256-SHA'),
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: suite('ECDHE-RSA-AES128-GCM-SHA256', true),
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: suite('ECDHE-ECDSA-AES128-GCM-SHA256', true),
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: suite('ECDHE-RSA-AES256-GCM-SHA384', true),
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: suite('ECDHE-ECDSA-AES256-GCM-SHA384', true),
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256: suite('ECDHE-ECDSA-AES128-SHA256', true),
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256: suite('ECDHE-RSA-AES128-SHA256', true),
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305: suite('ECDHE-RSA-CHACHA20-POLY1305', true),
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305: suite('ECDHE-ECDSA-CHACHA20-POLY1305', true),
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: suite('ECDHE-RSA-CHACHA20-POLY1305', true),
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: suite('ECDHE-ECDSA-CHACHA20-POLY1305', true),
  // TLS 1.3: accepted, as k6 takes them, but not configurable (Go ignores them).
  TLS_AES_128_GCM_SHA256: suite(undefined),
  TLS_AES_256_GCM_SHA384: suite(undefined),
  TLS_CHACHA20_POLY1305_SHA256: suite(undefined),
};

const SUITE_NAMES = Object.keys(CIPHER_SUITES);
const TLS13_SUITES = SUITE_NAMES.filter((n) => CIPHER_SUITES[n]!.openssl === undefined);

const isVersion = (v: unknown): v is TlsVersionName => typeof v === 'string' && (TLS_VERSIONS as readonly string[]).includes(v);
const rank = (v: TlsVersionName): number => TLS_VERSIONS.indexOf(v);
/** `tls1.2` → `1.2`. */
const number = (v: TlsVersionName): string => v.slice(3);

/** The probe's versions, defaults filled in; undefined when a name is not one of k6's (validation says so). */
export function tlsVersionRange(spec: TlsOptionsSpec['tlsVersion']): { min: TlsVersionName; max: TlsVersionName } | undefined {
  if (spec === undefined) return { min: DEFAULT_MIN, max: DEFAULT_MAX };
  const { min, max } = typeof spec === 'string' ? { min: spec, max: spec } : spec;
  const lo = min ?? DEFAULT_MIN;
  const hi = max ?? DEFAULT_MAX;
  return isVersion(lo) && isVersion(hi) ? { min: lo, max: hi } : undefined;
}

/** Why `name` is not one of k6's version names, or undefined. */
function versionProblem(name: string): string | undefined {
  if (isVersion(name)) return undefined;
  if (/^ssl ?v?3(\.0)?$/i.test(name.trim())) {
    return `SSL 3.0 ("${name}") is not supported: k6 dropped it, as Go and Node's OpenSSL did; the oldest version is tls1.0`;
  }
  const near = suggest(name, TLS_VERSIONS);
  return `unknown TLS version "${name}"${near ? `; did you mean ${near}?` : ''} (k6's names: ${TLS_VERSIONS.join(', ')})`;
}

/** OpenSSL name → k6's, for a "did you mean" when a probe gives OpenSSL's. */
const BY_OPENSSL = new Map(SUITE_NAMES.filter((n) => CIPHER_SUITES[n]!.openssl !== undefined && !n.endsWith('_POLY1305_SHA256')).map((n) => [CIPHER_SUITES[n]!.openssl!, n]));

/** Why `name` is not one of k6's suite names, or undefined. */
function suiteNameProblem(name: string): string | undefined {
  if (CIPHER_SUITES[name] !== undefined) return undefined;
  const goName = BY_OPENSSL.get(name.toUpperCase());
  if (goName !== undefined) return `"${name}" is OpenSSL's name; write k6's (Go's, IANA's): ${goName}`;
  const near = suggest(name, SUITE_NAMES);
  return `unknown cipher suite "${name}"${near ? `; did you mean ${near}?` : ''} (k6's names are Go's, such as TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)`;
}

/** OpenSSL suite names this Node can use (a context takes them, at any security level), memoized. */
const available = new Map<string, boolean>();
function availableHere(openssl: string): boolean {
  let ok = available.get(openssl);
  if (ok === undefined) {
    try {
      // `ca: []`: no root store to load for a check of the cipher list.
      createSecureContext({ ciphers: `${openssl}:@SECLEVEL=0`, ca: [] });
      ok = true;
    } catch {
      ok = false;
    }
    available.set(openssl, ok);
  }
  return ok;
}

/**
 * What a TLS context needs for the probe's `tlsVersion` / `tlsCipherSuites`
 * (Node's `createSecureContext` options), or undefined when it sets
 * neither (Node's default context serves). Expects a validated spec.
 */
export function tlsConnectOptions(spec: TlsOptionsSpec): { minVersion: SecureVersion; maxVersion: SecureVersion; ciphers?: string } | undefined {
  if (spec.tlsVersion === undefined && spec.tlsCipherSuites === undefined) return undefined;
  const range = tlsVersionRange(spec.tlsVersion) ?? { min: DEFAULT_MIN, max: DEFAULT_MAX };
  // OpenSSL 3 negotiates TLS 1.0 and 1.1 only at security level 0.
  const legacy = rank(range.min) < rank('tls1.2');
  // TLS 1.0–1.2 suites only: with no TLS_ name in `ciphers`, Node leaves TLS 1.3's at OpenSSL's default (all of them).
  const listed = [...new Set((spec.tlsCipherSuites ?? []).map((n) => CIPHER_SUITES[n]?.openssl).filter((s): s is string => s !== undefined))];
  const list = listed.length > 0 ? listed.join(':') : legacy ? DEFAULT_CIPHERS : undefined;
  const ciphers = list === undefined ? undefined : legacy ? `${list}:@SECLEVEL=0` : list;
  return { minVersion: NODE_VERSION[range.min], maxVersion: NODE_VERSION[range.max], ...(ciphers !== undefined ? { ciphers } : {}) };
}

/**
 * The schema's checks of `tlsVersion` and `tlsCipherSuites` beyond their
 * shape, on the raw spec (each value read is checked here).
 */
export function tlsOptionsProblems(p: { tlsVersion?: unknown; tlsCipherSuites?: unknown }): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = [];
  const v = p.tlsVersion;
  let range: { min: TlsVersionName; max: TlsVersionName } | undefined;
  if (typeof v === 'string') {
    const problem = versionProblem(v);
    if (problem !== undefined) out.push({ path: ['tlsVersion'], message: problem });
    else range = { min: v as TlsVersionName, max: v as TlsVersionName };
  } else if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const { min, max } = v as { min?: unknown; max?: unknown };
    let named = true;
    for (const [key, value] of [['min', min], ['max', max]] as const) {
      if (typeof value !== 'string') continue;
      const problem = versionProblem(value);
      if (problem !== undefined) {
        out.push({ path: ['tlsVersion', key], message: problem });
        named = false;
      }
    }
    if (named && (min === undefined || typeof min === 'string') && (max === undefined || typeof max === 'string')) {
      range = tlsVersionRange({ min, max });
      if (range && rank(range.min) > rank(range.max)) {
        const given = (key: 'min' | 'max', value: unknown): string => `${key} ${range![key]}${value === undefined ? ' (the default)' : ''}`;
        out.push({
          path: ['tlsVersion'],
          message: `${given('min', min)} is above ${given('max', max)}: no TLS version is left to connect with${min === undefined ? '; give min too, e.g. { min: tls1.0, max: tls1.1 }' : ''}`,
        });
        range = undefined;
      }
    }
  } else if (v === undefined) range = tlsVersionRange(undefined);

  const suites = p.tlsCipherSuites;
  if (!Array.isArray(suites)) return out;
  let known = true;
  suites.forEach((name: unknown, i) => {
    if (typeof name !== 'string') return;
    const problem = suiteNameProblem(name);
    if (problem !== undefined) {
      out.push({ path: ['tlsCipherSuites', i], message: problem });
      known = false;
      return;
    }
    const openssl = CIPHER_SUITES[name]!.openssl;
    if (openssl !== undefined && !availableHere(openssl)) {
      out.push({
        path: ['tlsCipherSuites', i],
        message: `"${name}" is one k6 takes, but this Node's OpenSSL (${process.versions.openssl}) has no such suite (${openssl}: RC4 and 3DES are not built in); remove it`,
      });
      known = false;
    }
  });
  const names = suites.filter((n): n is string => typeof n === 'string');
  if (!known || names.length === 0 || names.length < suites.length) return out;
  const tls12 = names.filter((n) => CIPHER_SUITES[n]!.openssl !== undefined);
  if (tls12.length === 0) {
    out.push({
      path: ['tlsCipherSuites'],
      message: `lists only TLS 1.3 suites, which cannot be chosen (k6 ignores them: Go offers all of ${TLS13_SUITES.join(', ')}); list TLS 1.2 suites, or remove tlsCipherSuites (to allow only TLS 1.3, set tlsVersion: tls1.3)`,
    });
  } else if (range && range.min === 'tls1.3') {
    out.push({
      path: ['tlsCipherSuites'],
      message: 'restricts TLS 1.0–1.2 suites only, and tlsVersion allows only TLS 1.3 (whose suites cannot be chosen, as in k6): it would change nothing; remove it',
    });
  } else if (range && rank(range.max) < rank('tls1.2') && tls12.every((n) => CIPHER_SUITES[n]!.tls12Only)) {
    out.push({
      path: ['tlsCipherSuites'],
      message: `none of these suites works below TLS 1.2 (GCM, ChaCha20 and SHA-256/384 suites are TLS 1.2's), and tlsVersion allows at most ${range.max}: add a CBC suite such as TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA`,
    });
  }
  if (out.length === 0 && range) {
    // What each worker will build: any other problem OpenSSL has with the whole list shows here.
    const options = tlsConnectOptions({ tlsVersion: { min: range.min, max: range.max }, tlsCipherSuites: names });
    try {
      createSecureContext({ ...options, ca: [] });
    } catch (err) {
      out.push({ path: ['tlsCipherSuites'], message: `OpenSSL ${process.versions.openssl} refuses these suites: ${errorMessage(err)}` });
    }
  }
  return out;
}

/** `TLS 1.2 only (tlsVersion: tls1.2)`, `TLS 1.2 to 1.3 (the default; tlsVersion changes it)`. */
export function describeTlsVersions(spec: TlsOptionsSpec['tlsVersion']): string {
  const range = tlsVersionRange(spec) ?? { min: DEFAULT_MIN, max: DEFAULT_MAX };
  const versions = range.min === range.max ? `TLS ${number(range.min)} only` : `TLS ${number(range.min)} to ${number(range.max)}`;
  if (spec === undefined) return `${versions} (the default; tlsVersion: { min: tls1.0 } allows older ones)`;
  const given = typeof spec === 'string' ? spec : `{ ${[spec.min !== undefined ? `min: ${spec.min}` : '', spec.max !== undefined ? `max: ${spec.max}` : ''].filter(Boolean).join(', ')} }`;
  return `${versions} (tlsVersion: ${given})`;
}

/** OpenSSL's codes for a handshake in which client and server share no version (the server's alert, or the client's refusal of the server's choice). */
const VERSION_CODES = new Set(['ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', 'ERR_SSL_UNSUPPORTED_PROTOCOL']);

/**
 * A connect_error's hint for a failed handshake that the probe's
 * `tlsVersion` / `tlsCipherSuites` may explain, or undefined: a version
 * mismatch names the versions the probe offers; a handshake failure with
 * `tlsCipherSuites` set names them as a cause.
 */
export function tlsOptionsHint(code: string, spec: TlsOptionsSpec | undefined): string | undefined {
  if (VERSION_CODES.has(code)) return ` (the server and the probe share no TLS version: the probe offers ${describeTlsVersions(spec?.tlsVersion)})`;
  if (spec?.tlsCipherSuites !== undefined && (code.endsWith('_ALERT_HANDSHAKE_FAILURE') || code === 'ERR_SSL_NO_SHARED_CIPHER' || code === 'ERR_SSL_WRONG_CIPHER_RETURNED')) {
    return ' (the server ended the handshake: it may take none of tlsCipherSuites (they restrict TLS 1.0–1.2), or want a client certificate (see tlsAuth))';
  }
  return undefined;
}
