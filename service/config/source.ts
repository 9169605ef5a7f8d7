/**
 * Reading config files: YAML documents with positions, and `${ENV}`
 * substitution done on the YAML tree so every substituted value keeps its
 * line and column for error messages.
 */
import { lstat, readFile, readdir, readlink, realpath, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { LineCounter, Scalar, isCollection, isMap, isPair, isScalar, isSeq, parse as parseYamlScalar, parseAllDocuments, visit } from 'yaml';
import type { Document, Node, YAMLMap } from 'yaml';
import { editDistance, suggest } from '../../common/index.ts';
import type { ConfigIssue } from './issues.ts';
import { formatPath } from './issues.ts';

/** One YAML document of a config file, after env substitution. */
export interface SourceDocument {
  file: string;
  /** Index of the document inside its file (0-based). */
  index: number;
  data: unknown;
  /** Line/column of the node at `path`, or of its nearest existing ancestor. */
  position(path: readonly PropertyKey[]): { line: number; column: number };
  /** Line/column of a key inside the mapping at `path` (for unknown keys). */
  keyPosition(path: readonly PropertyKey[], key: string): { line: number; column: number };
}

export interface ReadResult {
  documents: SourceDocument[];
  issues: ConfigIssue[];
  /** Values substituted from the environment (but under plainly non-secret keys such as listen): redacted from logs and API output. */
  secrets: string[];
  files: string[];
}

const YAML_FILE = /\.ya?ml$/i;

/** A problem with one entry of a config folder (a broken symbolic link), found while listing it. */
interface ListingProblem {
  path: string;
  message: string;
  severity: ConfigIssue['severity'];
}

/**
 * Lists the YAML files of a config path (a file, or a folder searched
 * recursively, sorted). Symbolic links are followed: a link to a YAML file
 * is listed under the link's own path, a link to a folder is walked, so a
 * Kubernetes ConfigMap mount (`probes.yaml -> ..data/probes.yaml`) loads.
 * Names starting with a dot are skipped (the ConfigMap's `..data` and
 * timestamped folders among them). Each folder and file is read once
 * however many links lead to it, which also ends link loops. Broken links
 * are left out; readConfigSources reports them.
 */
export async function listConfigFiles(path: string): Promise<string[]> {
  return (await walkConfigFiles(path)).files;
}

async function walkConfigFiles(path: string): Promise<{ files: string[]; problems: ListingProblem[] }> {
  const info = await stat(path);
  if (info.isFile()) return { files: [path], problems: [] };
  const files: string[] = [];
  const problems: ListingProblem[] = [];
  const seen = new Set<string>(); // real paths of the folders walked and the files listed
  const once = async (full: string): Promise<boolean> => {
    const real = await realpath(full);
    if (seen.has(real)) return false;
    seen.add(real);
    return true;
  };
  const walk = async (dir: string): Promise<void> => {
    if (!(await once(dir))) return;
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const full = join(dir, e.name);
      let isDirectory = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        try {
          const target = await stat(full);
          isDirectory = target.isDirectory();
          isFile = target.isFile();
        } catch (err) {
          const problem = await brokenLinkProblem(full, err);
          if (problem === undefined) throw err;
          // A link named as a YAML file or a folder (no extension), or to a YAML file, was meant to hold config.
          const config = YAML_FILE.test(e.name) || extname(e.name) === '' || YAML_FILE.test(await readlink(full).catch(() => ''));
          problems.push({ path: full, message: config ? problem : `${problem}; skipped`, severity: config ? 'error' : 'warning' });
          continue;
        }
      }
      if (isDirectory) await walk(full);
      else if (isFile && YAML_FILE.test(e.name) && (await once(full))) files.push(full);
    }
  };
  await walk(path);
  return { files, problems };
}

/** What is wrong with a symbolic link that `stat` failed on with `err`; undefined when that is not a broken link. */
async function brokenLinkProblem(path: string, err: unknown): Promise<string | undefined> {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ELOOP') return 'a loop of symbolic links';
  if (code !== 'ENOENT') return undefined;
  const target = await brokenLinkTarget(path);
  return target === undefined ? undefined : `a symbolic link to ${displayPath(target)}, which does not exist`;
}

/** A path as messages show it: relative to the working directory when it is under it. */
function displayPath(f: string): string {
  const rel = relative(process.cwd(), f);
  return rel.startsWith('..') ? f : rel;
}

/** How many files a "did you mean" names at most. */
const MAX_NEARBY = 5;

/**
 * The YAML files beside a missing `path` that were most likely meant, sorted
 * (none when nothing fits). Names are compared by their stem, without
 * `.yaml`/`.yml`, so `probes`, `probes.yml` and `probes.yaml` get the same
 * answer: a file with the same stem (the extension left out or changed);
 * else the closest by edit distance (a typo); else the files whose name has
 * the stem as a part (`assignment` for `seed-assignment.yaml`). Every file
 * that fits as well as the best is returned, not the first one found; the
 * path itself never is (a broken symlink is listed by its folder).
 */
async function nearbyFiles(path: string): Promise<string[]> {
  const names = await readdir(dirname(path)).catch(() => [] as string[]);
  const given = basename(path);
  const yaml = names.filter((n) => YAML_FILE.test(n) && !n.startsWith('.') && n !== given);
  const stem = (n: string): string => n.replace(YAML_FILE, '').toLowerCase();
  const wanted = stem(given);
  if (wanted === '') return [];
  let found = yaml.filter((n) => stem(n) === wanted);
  if (found.length === 0) {
    const stems = yaml.map(stem);
    const best = suggest(wanted, stems);
    if (best !== undefined) {
      const distance = editDistance(wanted, best);
      found = yaml.filter((n) => editDistance(wanted, stem(n)) === distance);
    }
  }
  if (found.length === 0) found = yaml.filter((n) => stem(n).endsWith(`-${wanted}`) || stem(n).startsWith(`${wanted}-`));
  return found.sort().map((n) => join(dirname(path), n));
}

/** `a`, `a or b`, `one of: a, b, c`, `one of: a, …, e (and 2 more)`. */
function oneOf(paths: readonly string[]): string {
  if (paths.length <= 2) return paths.join(' or ');
  const more = paths.length - MAX_NEARBY;
  return `one of: ${paths.slice(0, MAX_NEARBY).join(', ')}${more > 0 ? ` (and ${more} more)` : ''}`;
}

/**
 * Where a symbolic link whose target cannot be found points: the missing
 * path at the end of its chain of links (resolved, so a relative target
 * reads as what it names); undefined when `path` is not a symbolic link.
 */
async function brokenLinkTarget(path: string): Promise<string | undefined> {
  let current = path;
  // As the kernel does, give up after 40 links (a loop is reported as ELOOP before this).
  for (let hops = 0; hops < 40; hops++) {
    const info = await lstat(current).catch(() => undefined);
    if (info === undefined || !info.isSymbolicLink()) return hops === 0 ? undefined : current;
    current = resolve(dirname(current), await readlink(current));
  }
  return current;
}

const ENV_REF = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Substitutes `${VAR}` (and `${VAR:-default}`) in a string; `$${` is a literal `${`.
 * Returns the names of unset variables instead of guessing.
 */
export function substituteEnv(
  text: string,
  env: NodeJS.ProcessEnv,
): { value: string; missing: string[]; used: string[] } {
  const missing: string[] = [];
  const used: string[] = [];
  const value = text.replace(ENV_REF, (match, name: string | undefined, fallback: string | undefined) => {
    if (match === '$${') return '${';
    const v = env[name!];
    if (v !== undefined && v !== '') {
      used.push(v);
      return v;
    }
    if (fallback !== undefined) return fallback;
    missing.push(name!);
    return match;
  });
  return { value, missing, used };
}

/** Reads and parses every YAML file under `path`. Never throws for bad input: problems come back as issues. */
export async function readConfigSources(path: string, env: NodeJS.ProcessEnv = process.env): Promise<ReadResult> {
  const result: ReadResult = { documents: [], issues: [], secrets: [], files: [] };
  let files: string[];
  try {
    const listing = await walkConfigFiles(path);
    files = listing.files;
    for (const p of listing.problems) result.issues.push({ ...fileIssue(displayPath(p.path), p.message), severity: p.severity });
  } catch (err) {
    let problem = await brokenLinkProblem(path, err);
    if (problem === undefined && (err as NodeJS.ErrnoException).code === 'ENOENT') {
      const meant = await nearbyFiles(path);
      problem = `no such file or folder${meant.length > 0 ? `; did you mean ${oneOf(meant)}?` : ''}`;
    }
    result.issues.push(fileIssue(path, problem ?? `cannot read: ${String(err)}`));
    return result;
  }
  // A folder whose only config is behind broken links has said so already.
  if (files.length === 0 && !result.issues.some((i) => i.severity === 'error')) {
    result.issues.push(fileIssue(path, 'no .yaml or .yml files found'));
    return result;
  }
  for (const file of files) {
    const name = displayPath(file);
    result.files.push(name);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      result.issues.push(fileIssue(name, `cannot read: ${String(err)}`));
      continue;
    }
    parseConfigText(text, name, env, result);
  }
  return result;
}

/** Parses one file's text into `into` (exported for tests and for in-memory configs). */
export function parseConfigText(text: string, file: string, env: NodeJS.ProcessEnv, into: ReadResult): void {
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const docs = Array.isArray(parsed) ? parsed : [];
  const at = (offset: number): { line: number; column: number } => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };
  docs.forEach((doc, index) => {
    let broken = false;
    // An unquoted `{{…}}` in a flow mapping's value breaks the YAML into a run of errors on its line: one hint instead.
    const hinted = new Set<number>();
    for (const e of doc.errors) {
      broken = true;
      const pos = at(e.pos[0]);
      if (hinted.has(pos.line)) continue;
      const hint = unquotedTemplateHint(text, e.pos[0]);
      if (hint) {
        hinted.add(pos.line);
        into.issues.push({ file, ...at(hint.offset), path: '', message: hint.message, severity: 'error' });
        continue;
      }
      into.issues.push({ file, ...pos, path: '', message: `YAML syntax: ${firstLine(e.message)}`, severity: 'error' });
    }
    if (broken) return;
    if (isEmptyDocument(doc)) return; // e.g. a trailing, leading or doubled `---`
    checkCollectionKeys(doc, text, (node, path, message) => {
      into.issues.push({ file, ...at(node.range?.[0] ?? 0), path: formatPath(path), message, severity: 'error' });
    });
    substituteInDocument(doc, env, (node, message) => {
      into.issues.push({ file, ...at(node.range?.[0] ?? 0), path: formatPath(pathOf(doc, node)), message, severity: 'error' });
    }, into.secrets);
    // A `__proto__` key is dropped by the schemas (zod builds plain objects, where assigning it sets the
    // prototype), so the entry would vanish and the file validate.
    visit(doc, {
      Pair(_, pair, path) {
        if (isScalar(pair.key) && pair.key.value === '__proto__') {
          const map = path[path.length - 1];
          into.issues.push({
            file,
            ...at(pair.key.range?.[0] ?? 0),
            path: formatPath(isMap(map) ? pathOf(doc, map) : []),
            message: 'the key "__proto__" is not allowed',
            severity: 'error',
          });
        }
      },
    });
    const data: unknown = doc.toJS({ maxAliasCount: 1000 });
    into.documents.push({
      file,
      index,
      data,
      position: (path) => at(nodeAt(doc, path)?.range?.[0] ?? doc.contents?.range?.[0] ?? 0),
      keyPosition: (path, key) => {
        const map = nodeAt(doc, path);
        if (isMap(map)) {
          const pair = map.items.find((p) => isScalar(p.key) && p.key.value === key);
          if (pair && isScalar(pair.key) && pair.key.range) return at(pair.key.range[0]);
        }
        return at(map?.range?.[0] ?? 0);
      },
    });
  });
}

const TEMPLATE = /\{\{[^{}\n]*\}\}/g;

/**
 * Keys are strings in every burnwatch document, but YAML reads an unquoted
 * `body: {{eventBatch 50}}` as a flow mapping whose one key is the mapping
 * `{eventBatch 50}`: it would pass as a body and be sent as
 * `{"{ eventBatch 50 }":null}`, or fail as "found a mapping" without saying
 * why (and toJS would warn that the key is stringified). Each such value is
 * reported with how to quote it and replaced by its text, so the rest of the
 * document is still checked; any other mapping or list used as a key is
 * reported and replaced by its text too.
 */
function checkCollectionKeys(doc: Document, text: string, report: (node: Node, path: (string | number)[], message: string) => void): void {
  visit(doc, {
    Map(_, map, ancestors) {
      const template = templateShape(map, text);
      if (template === undefined) return undefined;
      const parent = ancestors.at(-1);
      const quoted = JSON.stringify(template);
      const write = isPair(parent) && isScalar(parent.key) ? `${String(parent.key.value)}: ${quoted}` : isSeq(parent) && !parent.flow ? `- ${quoted}` : quoted;
      report(map, pathOf(doc, map), `\`${template}\` must be quoted in YAML: write ${write}`);
      const scalar = new Scalar(template);
      scalar.range = map.range;
      return scalar;
    },
    Pair(_, pair, ancestors) {
      if (!isCollection(pair.key)) return;
      const parent = ancestors.at(-1);
      report(pair.key, isMap(parent) ? pathOf(doc, parent) : [], `a key must be a string; found ${isSeq(pair.key) ? 'a list' : 'a mapping'}`);
      const range = pair.key.range;
      const scalar = new Scalar(range ? text.slice(range[0], range[1]) : String(pair.key));
      scalar.range = range;
      pair.key = scalar;
    },
  });
}

/** The text of a flow mapping that is an unquoted template: `{{…}}`, one key that is itself a mapping. */
function templateShape(map: YAMLMap, text: string): string | undefined {
  if (!map.flow || !map.range || map.items.length !== 1 || !isMap(map.items[0]?.key)) return undefined;
  const source = text.slice(map.range[0], map.range[1]);
  return /^\{\{[^{}]*\}\}$/.test(source) ? source : undefined;
}

/**
 * For a YAML syntax error at `offset` on a line holding an unquoted `{{…}}`
 * at or before it (in a flow mapping `/x?u={{randInt 1 5}}` ends the plain
 * value at the `{`): where the template is and how to quote its value.
 */
function unquotedTemplateHint(text: string, offset: number): { offset: number; message: string } | undefined {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const lineEnd = text.indexOf('\n', offset);
  const line = text.slice(lineStart, lineEnd < 0 ? text.length : lineEnd);
  const column = offset - lineStart;
  const found = [...line.matchAll(TEMPLATE)].filter((m) => {
    const before = line.slice(0, m.index);
    // Not in a comment, not inside quotes.
    return m.index <= column && !/(^|\s)#/.test(before) && before.split('"').length % 2 === 1 && before.split("'").length % 2 === 1;
  });
  const m = found.at(-1);
  if (!m) return undefined;
  const template = m[0];
  const keyed = /([A-Za-z_][\w.-]*):\s+((?:[^,{}[\]\n]|\{\{[^{}\n]*\}\})*)$/.exec(line.slice(0, m.index));
  const rest = /^(?:[^,{}[\]\n]|\{\{[^{}\n]*\}\})*/.exec(line.slice(m.index + template.length))?.[0].trimEnd() ?? '';
  const message = keyed
    ? `\`${template}\` must be quoted in YAML: write ${keyed[1]}: ${JSON.stringify(`${keyed[2]}${template}${rest}`)}`
    : `\`${template}\` must be quoted in YAML: put the whole value in double quotes`;
  return { offset: lineStart + m.index, message };
}

/**
 * A document with nothing in it. yaml v2 gives an empty document a null plain
 * scalar with no source text (not `contents: null`); an explicit `~` or `null`
 * has source text and is kept, to be reported as not a document.
 */
function isEmptyDocument(doc: Document): boolean {
  const c = doc.contents;
  return c === null || (isScalar(c) && c.value === null && c.source === '' && c.tag === undefined);
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}

function fileIssue(file: string, message: string): ConfigIssue {
  return { file, line: 0, column: 0, path: '', message, severity: 'error' };
}

/** The node at `path`, or its nearest existing ancestor. */
function nodeAt(doc: Document, path: readonly PropertyKey[]): Node | null {
  let node: unknown = doc.contents;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && p.key.value === key);
      if (!pair) break;
      node = pair.value;
    } else if (isSeq(node) && typeof key === 'number') {
      const item = node.items[key];
      if (item === undefined) break;
      node = item;
    } else break;
  }
  return (node as Node | null) ?? null;
}

function pathOf(doc: Document, target: Node): (string | number)[] {
  const found: (string | number)[] = [];
  const search = (node: unknown, path: (string | number)[]): boolean => {
    if (node === target) {
      found.push(...path);
      return true;
    }
    if (isMap(node)) {
      return node.items.some((p) => isPair(p) && search(p.value, [...path, isScalar(p.key) ? String(p.key.value) : '?']));
    }
    if (isSeq(node)) return node.items.some((item, i) => search(item, [...path, i]));
    return false;
  };
  search(doc.contents, []);
  return found;
}

/** Keys whose values are never secret; a value substituted from the environment anywhere else is redacted from logs and API output. */
const NOT_SECRET_KEY = new Set(['listen', 'dataDir', 'logLevel', 'maxRps', 'evaluationInterval', 'serviceName', 'traceSampleRatio', 'timeZone', 'schedule', 'jitter', 'rate', 'duration', 'objective', 'enabled']);

function substituteInDocument(
  doc: Document,
  env: NodeJS.ProcessEnv,
  report: (node: Node, message: string) => void,
  secrets: string[],
): void {
  visit(doc, {
    Scalar(key, node: Scalar, ancestors) {
      if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('${')) return;
      const { value, missing, used } = substituteEnv(node.value, env);
      for (const name of missing) {
        report(node, `environment variable ${name} is not set; set it, or write \${${name}:-default} for a fallback`);
      }
      // Every value taken from the environment is a secret, except under keys that are plainly not secret
      // (a listen address or a log level redacted from every log line would help no one).
      const pair = ancestors.filter(isPair).at(-1);
      const name = pair && isScalar(pair.key) ? String(pair.key.value) : '';
      if (!NOT_SECRET_KEY.has(name)) for (const v of used) secrets.push(v);
      if (missing.length > 0) return;
      // An unquoted `${PORT}` becomes whatever YAML would make of the value (a number, a boolean).
      if (node.type === 'PLAIN') {
        // logLevel 'error': a value such as {{x}} parses to a mapping with a mapping key, and yaml would warn that it stringifies it.
        const typed: unknown = parseYamlScalar(value, { logLevel: 'error' });
        node.value = typed === null || typeof typed === 'object' ? value : typed;
      } else node.value = value;
    },
  });
}
