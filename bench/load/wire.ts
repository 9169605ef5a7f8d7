/**
 * The one request every client in the load bench sends, byte for byte the
 * same apart from header-name case: `GET /` with `host`, `connection:
 * keep-alive` and burnwatch's default `user-agent`. The target's HTTP parser
 * costs more per header, and in the closed model the target is the
 * bottleneck, so a client sending fewer headers would be measured against a
 * cheaper target (one header is worth ~0.7 µs of the target's ~15 µs per
 * request here).
 */
import { USER_AGENT } from '../../probes/requests.ts';

/** The headers besides `host` for clients that send `connection: keep-alive` by themselves (undici, autocannon). */
export const BENCH_HEADERS_BUT_CONNECTION: Readonly<Record<string, string>> = Object.freeze({ 'user-agent': USER_AGENT });

/** Headers besides `host`, which every client derives from the URL. */
export const BENCH_HEADERS: Readonly<Record<string, string>> = Object.freeze({ connection: 'keep-alive', ...BENCH_HEADERS_BUT_CONNECTION });
