/**
 * The demo's domain: experiments with weighted variants and feature flags
 * with targeting rules. Wire bodies are validated here (strictly: unknown keys
 * are errors) and turned into plain records; `compile*` turns a record into
 * the form the hot paths evaluate without further allocation.
 */
import { z } from 'zod';

const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const ID_HINT = '1–64 characters of letters, digits, "_", "." or "-", starting with a letter or digit';

const idSchema = z.string().regex(ID, { error: `expected ${ID_HINT}` });

const variantSchema = z.strictObject({
  name: idSchema,
  weight: z.number().positive({ error: 'expected a weight greater than 0' }).max(1_000_000).finite(),
});

/** A variant of an experiment; users are assigned in proportion to `weight`. */
export interface Variant {
  name: string;
  weight: number;
}

/** An A/B(/n) experiment as stored and returned by the CRUD API. */
export interface Experiment {
  id: string;
  name: string;
  description?: string;
  /** The variant the others are compared with in results; defaults to the first. */
  control: string;
  variants: Variant[];
  version: number;
  createdAt: string;
  updatedAt: string;
}

const experimentFields = {
  name: z.string().max(200).optional(),
  description: z.string().max(2000).optional(),
  control: idSchema.optional(),
  variants: z
    .array(variantSchema)
    .min(2, { error: 'expected at least 2 variants' })
    .max(20, { error: 'expected at most 20 variants' }),
};

function checkVariants(
  body: { control?: string | undefined; variants: Variant[] },
  ctx: z.RefinementCtx,
): void {
  const seen = new Set<string>();
  body.variants.forEach((v, i) => {
    if (seen.has(v.name)) ctx.addIssue({ code: 'custom', path: ['variants', i, 'name'], message: `duplicate variant name "${v.name}"` });
    seen.add(v.name);
  });
  if (body.control !== undefined && !seen.has(body.control)) {
    ctx.addIssue({ code: 'custom', path: ['control'], message: `"${body.control}" is not one of the variants (${[...seen].join(', ')})` });
  }
}

const createExperimentSchema = z.strictObject({ id: idSchema, ...experimentFields }).superRefine(checkVariants);
const replaceExperimentSchema = z.strictObject({ id: idSchema.optional(), ...experimentFields }).superRefine(checkVariants);

/** The body of `POST /v1/experiments`. */
export type ExperimentInput = z.infer<typeof createExperimentSchema>;

const ruleSchema = z.strictObject({
  /** `user` is the user id; any other name is read from a query parameter of the same name. */
  attribute: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, { error: 'expected an attribute name such as "user" or "country"' }),
  operator: z.enum(['in', 'notIn', 'startsWith', 'endsWith']),
  values: z.array(z.string().max(256)).min(1, { error: 'expected at least one value' }).max(10_000),
  /** Percentage of matching users that get the flag; 0 excludes them. */
  rollout: z.number().min(0).max(100).default(100),
});

/** A targeting rule; the first rule whose condition matches decides. */
export type FlagRule = z.output<typeof ruleSchema>;

const flagFields = {
  description: z.string().max(2000).optional(),
  /** Kill switch: when false nobody gets the flag. */
  enabled: z.boolean().default(true),
  onVariation: idSchema.default('on'),
  offVariation: idSchema.default('off'),
  rules: z.array(ruleSchema).max(100).default([]),
  /** Percentage of users matching no rule that get the flag. */
  rollout: z.number().min(0).max(100).default(100),
};

const flagSchema = z
  .strictObject({ key: idSchema.optional(), ...flagFields })
  .refine((f) => f.onVariation !== f.offVariation, { path: ['offVariation'], error: 'onVariation and offVariation must differ' });

/** The body of `PUT /v1/flags/:key` (the key comes from the path). */
export type FlagInput = z.input<typeof flagSchema>;

/** A feature flag as stored and returned by the API. */
export interface Flag {
  key: string;
  description?: string;
  enabled: boolean;
  onVariation: string;
  offVariation: string;
  rules: FlagRule[];
  rollout: number;
  version: number;
  updatedAt: string;
}

/** A body that failed validation; `message` names every offending key path. */
export class ValidationError extends Error {
  readonly code = 'invalid_body';

  constructor(message: string) {
    super(message);
    this.name = 'ValidationError';
  }
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.length === 0 ? 'body' : issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
      return `${path}: ${issue.message}`;
    })
    .join('; ');
}

function parseWith<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body);
  if (!result.success) throw new ValidationError(describeIssues(result.error));
  return result.data;
}

/**
 * Validates a create body and builds the stored record.
 *
 * @example
 * const e = newExperiment({ id: 'exp-x', variants: [{ name: 'control', weight: 1 }, { name: 'b', weight: 1 }] }, new Date());
 * e.control // 'control'
 */
export function newExperiment(body: unknown, now: Date): Experiment {
  const input = parseWith(createExperimentSchema, body);
  const at = now.toISOString();
  return buildExperiment(input.id, input, 1, at, at);
}

/** Validates a `PUT` body against the existing record and builds its successor. */
export function replacedExperiment(existing: Experiment, body: unknown, now: Date): Experiment {
  const input = parseWith(replaceExperimentSchema, body);
  if (input.id !== undefined && input.id !== existing.id) {
    throw new ValidationError(`id: "${input.id}" does not match the id in the path ("${existing.id}")`);
  }
  return buildExperiment(existing.id, input, existing.version + 1, existing.createdAt, now.toISOString());
}

function buildExperiment(
  id: string,
  input: { name?: string | undefined; description?: string | undefined; control?: string | undefined; variants: Variant[] },
  version: number,
  createdAt: string,
  updatedAt: string,
): Experiment {
  const variants = input.variants.map((v) => ({ name: v.name, weight: v.weight }));
  const record: Experiment = {
    id,
    name: input.name ?? id,
    control: input.control ?? variants[0]!.name,
    variants,
    version,
    createdAt,
    updatedAt,
  };
  if (input.description !== undefined) record.description = input.description;
  return record;
}

/**
 * Validates a flag body for `key` and builds the stored record.
 *
 * @example
 * const f = flagFromBody('new-checkout', { rollout: 10 }, undefined, new Date());
 * f.enabled // true
 */
export function flagFromBody(key: string, body: unknown, existing: Flag | undefined, now: Date): Flag {
  if (!ID.test(key)) throw new ValidationError(`key: expected ${ID_HINT}`);
  const input = parseWith(flagSchema, body);
  if (input.key !== undefined && input.key !== key) {
    throw new ValidationError(`key: "${input.key}" does not match the key in the path ("${key}")`);
  }
  const record: Flag = {
    key,
    enabled: input.enabled,
    onVariation: input.onVariation,
    offVariation: input.offVariation,
    rules: input.rules,
    rollout: input.rollout,
    version: (existing?.version ?? 0) + 1,
    updatedAt: now.toISOString(),
  };
  if (input.description !== undefined) record.description = input.description;
  return record;
}

/** An experiment prepared for assignment: cumulative weights, no lookups. */
export interface CompiledExperiment {
  readonly id: string;
  readonly control: string;
  readonly variantNames: readonly string[];
  /** `cumulative[i]` is the sum of the weights of variants 0..i. */
  readonly cumulative: Float64Array;
  readonly totalWeight: number;
  readonly record: Experiment;
}

/** Prepares an experiment for the assignment hot path. */
export function compileExperiment(record: Experiment): CompiledExperiment {
  const cumulative = new Float64Array(record.variants.length);
  let sum = 0;
  record.variants.forEach((v, i) => {
    sum += v.weight;
    cumulative[i] = sum;
  });
  return {
    id: record.id,
    control: record.control,
    variantNames: record.variants.map((v) => v.name),
    cumulative,
    totalWeight: sum,
    record,
  };
}

/** A rule prepared for evaluation (`in` / `notIn` values in a Set). */
export interface CompiledRule {
  readonly attribute: string;
  readonly operator: FlagRule['operator'];
  readonly values: readonly string[];
  readonly valueSet: ReadonlySet<string>;
  readonly rollout: number;
}

/** A flag prepared for evaluation. */
export interface CompiledFlag {
  readonly key: string;
  readonly enabled: boolean;
  readonly onVariation: string;
  readonly offVariation: string;
  readonly rules: readonly CompiledRule[];
  readonly rollout: number;
  readonly record: Flag;
}

/** Prepares a flag for the evaluation hot path. */
export function compileFlag(record: Flag): CompiledFlag {
  return {
    key: record.key,
    enabled: record.enabled,
    onVariation: record.onVariation,
    offVariation: record.offVariation,
    rules: record.rules.map((r) => ({
      attribute: r.attribute,
      operator: r.operator,
      values: r.values,
      valueSet: new Set(r.values),
      rollout: r.rollout,
    })),
    rollout: record.rollout,
    record,
  };
}
