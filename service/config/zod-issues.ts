/**
 * Turns zod issues into config issues a person can act on: one per problem,
 * with the key path, what was found and what was expected. Unknown keys get
 * a "did you mean" from the schema's own key list.
 */
import type { z } from 'zod';
import { suggest } from '../../common/index.ts';
import { describeValue } from './issues.ts';

export interface PlainIssue {
  path: PropertyKey[];
  message: string;
  /** For unknown or invalid keys: the offending key (its position is the key's, not the value's). */
  unknownKey?: string;
}

type AnyIssue = z.core.$ZodIssue;

/** Flattens zod issues (resolving unions to the branch that got furthest) into plain issues. */
export function explainIssues(issues: readonly AnyIssue[], data: unknown, schema: z.ZodType, base: PropertyKey[] = []): PlainIssue[] {
  const out: PlainIssue[] = [];
  for (const issue of issues) {
    const path = [...base, ...issue.path];
    const found = valueAt(data, path);
    switch (issue.code) {
      case 'unrecognized_keys': {
        const known = knownKeys(schema, path, data);
        for (const key of issue.keys) {
          const hint = suggest(key, known);
          const expected = known.length > 0 ? `; expected ${hint ? `"${hint}" or ` : ''}one of: ${known.join(', ')}` : '';
          out.push({ path: [...path, key], unknownKey: key, message: `unknown key "${key}"${expected}` });
        }
        break;
      }
      case 'invalid_union': {
        const branch = bestBranch(issue.errors);
        if (branch && !('discriminator' in issue && issue.discriminator)) {
          out.push(...explainIssues(branch, data, schema, path));
        } else {
          out.push({ path, message: withFound(cleanMessage(issue.message), found) });
        }
        break;
      }
      case 'invalid_key': {
        // A record's key failed its schema (a tag named `bad-key`): say what a key must be, of the key, not its value.
        const key = String(path[path.length - 1]);
        const why = issue.issues.map((i) => cleanMessage(i.message)).join('; ');
        out.push({ path, unknownKey: key, message: `key "${key}": ${why}` });
        break;
      }
      case 'invalid_type':
        if (found === undefined) {
          out.push({ path, message: `missing required key; ${cleanMessage(issue.message)}` });
        } else {
          out.push({ path, message: withFound(cleanMessage(issue.message), found) });
        }
        break;
      default:
        out.push({ path, message: withFound(cleanMessage(issue.message), found) });
    }
  }
  return out;
}

/** The union branch worth reporting: the one whose issues are not just "wrong type at the root". */
function bestBranch(branches: readonly (readonly AnyIssue[])[]): readonly AnyIssue[] | undefined {
  const deeper = branches.filter((b) => b.length > 0 && !b.every((i) => i.code === 'invalid_type' && i.path.length === 0));
  if (deeper.length === 0) return undefined;
  // Prefer the branch with the fewest problems: the one the author most likely meant.
  return deeper.reduce((a, b) => (b.length < a.length ? b : a));
}

/** zod's default wording ("Invalid input: expected number, received string") → "expected number". */
function cleanMessage(message: string): string {
  return message
    .replace(/^Invalid input: /, '')
    .replace(/, received \w+$/, '')
    .replace(/^Too small: expected (\w+) to have >=(\d+) items?$/, 'expected at least $2 items')
    .replace(/^Too small: expected (\w+) to be >(?!=)(.+)$/, 'expected a $1 greater than $2')
    .replace(/^Too big: expected (\w+) to be <(?!=)(.+)$/, 'expected a $1 less than $2')
    .replace(/^Too small: expected (\w+) to be >=(.+)$/, 'expected a $1 at least $2')
    .replace(/^Too big: expected (\w+) to be <=(.+)$/, 'expected a $1 at most $2')
    .replace(/^Invalid option: expected one of (.+)$/, 'expected one of $1');
}

function withFound(message: string, found: unknown): string {
  if (found === undefined) return message;
  const shown = describeValue(found);
  // Messages that already quote the value don't need it twice.
  if (message.includes(shown)) return message;
  return `${message}; found ${shown}`;
}

export function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = data;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  schema?: z.ZodType;
}

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/** The keys an object schema at `path` accepts (best effort through wrappers, arrays, records and unions). */
export function knownKeys(schema: z.ZodType, path: readonly PropertyKey[], data: unknown): string[] {
  const candidates = schemasAt(schema, path, data, 0);
  const keys = new Set<string>();
  for (const s of candidates) for (const k of Object.keys(defOf(s).shape ?? {})) keys.add(k);
  return [...keys];
}

function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (let i = 0; i < 20; i++) {
    const d = defOf(s);
    const next = d.innerType ?? (d.type === 'pipe' ? d.in : undefined) ?? (d.type === 'lazy' ? undefined : undefined);
    if (!next) return s;
    s = next;
  }
  return s;
}

function schemasAt(schema: z.ZodType, path: readonly PropertyKey[], data: unknown, depth: number): z.ZodType[] {
  const s = unwrap(schema);
  const d = defOf(s);
  if (d.type === 'union' && d.options) {
    const value = valueAt(data, path.slice(0, depth));
    const matching = d.options.filter((o) => {
      const od = defOf(unwrap(o));
      if (od.type !== 'object' || !od.shape || value === null || typeof value !== 'object') return od.type !== 'object';
      // Discriminated unions: keep the option whose literal matches the data.
      for (const [k, v] of Object.entries(od.shape)) {
        const vd = defOf(unwrap(v)) as Def & { values?: unknown[] };
        if (vd.type === 'literal' && vd.values) return vd.values.includes((value as Record<string, unknown>)[k]);
      }
      return true;
    });
    return matching.flatMap((o) => schemasAt(o, path, data, depth));
  }
  if (depth === path.length) return d.type === 'object' ? [s] : [];
  const key = path[depth];
  if (d.type === 'object' && d.shape && typeof key === 'string' && d.shape[key]) return schemasAt(d.shape[key], path, data, depth + 1);
  if (d.type === 'array' && d.element && typeof key === 'number') return schemasAt(d.element, path, data, depth + 1);
  if (d.type === 'record' && d.valueType) return schemasAt(d.valueType, path, data, depth + 1);
  return [];
}
