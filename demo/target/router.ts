/**
 * A tiny router for the hot endpoints. Static paths are one `Map` lookup and
 * allocate nothing; patterns with `:params` are tried in registration order
 * and allocate only the params array. A path that exists under another method
 * yields `method_not_allowed` with the methods to put in `Allow`.
 */

export type RouteMatch<T> =
  | { readonly kind: 'found'; readonly value: T; readonly params: readonly string[] }
  | { readonly kind: 'method_not_allowed'; readonly allow: string }
  | { readonly kind: 'not_found' };

const NOT_FOUND = Object.freeze({ kind: 'not_found' } as const);
const NO_PARAMS: readonly string[] = Object.freeze([]);

interface PathEntry<T> {
  /** Per method, the prebuilt match (static routes) or the value (patterns). */
  readonly methods: Map<string, { readonly kind: 'found'; readonly value: T; readonly params: readonly string[] }>;
  notAllowed: { readonly kind: 'method_not_allowed'; readonly allow: string };
}

interface PatternEntry<T> extends PathEntry<T> {
  /** Literal segments, or null where a parameter goes. */
  readonly segments: readonly (string | null)[];
}

function notAllowed(methods: Iterable<string>): { kind: 'method_not_allowed'; allow: string } {
  return { kind: 'method_not_allowed', allow: [...methods].sort().join(', ') };
}

/**
 * @example
 * const router = new Router<string>();
 * router.add('GET', '/v1/flags/:key', 'getFlag');
 * router.match('GET', '/v1/flags/flag-1'); // { kind: 'found', value: 'getFlag', params: ['flag-1'] }
 */
export class Router<T> {
  private readonly statics = new Map<string, PathEntry<T>>();
  private readonly patterns: PatternEntry<T>[] = [];

  add(method: string, pattern: string, value: T): this {
    if (!pattern.startsWith('/')) throw new Error(`route pattern must start with "/": ${pattern}`);
    const segments = pattern.split('/').slice(1).map((s) => (s.startsWith(':') ? null : s));
    let entry: PathEntry<T> | undefined;
    if (!segments.includes(null)) {
      entry = this.statics.get(pattern);
      if (entry === undefined) {
        entry = { methods: new Map(), notAllowed: notAllowed([]) };
        this.statics.set(pattern, entry);
      }
    } else {
      const key = segments.map((s) => s ?? ':').join('/');
      entry = this.patterns.find((p) => p.segments.map((s) => s ?? ':').join('/') === key);
      if (entry === undefined) {
        const created: PatternEntry<T> = { segments, methods: new Map(), notAllowed: notAllowed([]) };
        this.patterns.push(created);
        entry = created;
      }
    }
    if (entry.methods.has(method)) throw new Error(`duplicate route ${method} ${pattern}`);
    entry.methods.set(method, { kind: 'found', value, params: NO_PARAMS });
    entry.notAllowed = notAllowed(entry.methods.keys());
    return this;
  }

  /** Matches a request path (without the query string). Params are percent-decoded. */
  match(method: string, path: string): RouteMatch<T> {
    const exact = this.statics.get(path);
    if (exact !== undefined) return exact.methods.get(method) ?? exact.notAllowed;
    if (this.patterns.length === 0) return NOT_FOUND;
    const parts = path.split('/');
    for (const entry of this.patterns) {
      const params = matchSegments(entry.segments, parts);
      if (params === undefined) continue;
      const found = entry.methods.get(method);
      if (found === undefined) return entry.notAllowed;
      return { kind: 'found', value: found.value, params };
    }
    return NOT_FOUND;
  }
}

function matchSegments(segments: readonly (string | null)[], parts: readonly string[]): string[] | undefined {
  // parts[0] is the empty string before the leading slash.
  if (parts.length !== segments.length + 1) return undefined;
  let params: string[] | undefined;
  for (let i = 0; i < segments.length; i++) {
    const literal = segments[i];
    const part = parts[i + 1]!;
    if (literal === null) {
      if (part.length === 0) return undefined;
      let value = part;
      if (part.includes('%')) {
        try {
          value = decodeURIComponent(part);
        } catch {
          return undefined;
        }
      }
      (params ??= []).push(value);
    } else if (literal !== part) {
      return undefined;
    }
  }
  return params ?? [];
}
