/**
 * Readers for the container recipe's files, for test/cluster/container.test.ts: this machine has no Docker engine
 * (and no route to an image registry), so the Dockerfile, .dockerignore, compose file and Caddyfile are read here and
 * what they say is checked and carried out by hand. Each reader knows only the syntax those files use and throws on
 * anything else, so a file that outgrows it fails the test instead of being half read.
 */

// ---- Dockerfile ----------------------------------------------------------------------------------------------------

export interface Instruction {
  name: string;
  /** The text after the instruction's name and flags. */
  args: string;
  /** --name=value flags (COPY --from, HEALTHCHECK --interval...). */
  flags: Record<string, string>;
  /** The exec form (a JSON array), when the arguments are one. */
  exec?: string[];
}

export interface Stage {
  name: string | undefined;
  /** The base image, build arguments substituted. */
  from: string;
  instructions: Instruction[];
}

const KNOWN = new Set(['ARG', 'FROM', 'RUN', 'WORKDIR', 'COPY', 'ENV', 'VOLUME', 'USER', 'EXPOSE', 'HEALTHCHECK', 'CMD']);

/** The Dockerfile's stages; ARGs before the first FROM are substituted into FROM with their defaults. */
export function parseDockerfile(text: string): Stage[] {
  const logical: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || (!line && !pending)) continue; // comments, also inside a continued instruction
    if (line.endsWith('\\')) pending += line.slice(0, -1) + ' ';
    else {
      logical.push(pending + line);
      pending = '';
    }
  }
  if (pending) throw new Error(`Dockerfile ends inside a continued line: ${pending}`);
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of logical) {
    const m = /^([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) throw new Error(`Dockerfile: unreadable line '${line}'`);
    const name = m[1].toUpperCase();
    if (!KNOWN.has(name)) throw new Error(`Dockerfile: instruction ${name} is not one this reader knows`);
    let rest = m[2].trim();
    const flags: Record<string, string> = {};
    for (let f; (f = /^--([a-z-]+)=(\S+)\s+/.exec(rest)); rest = rest.slice(f[0].length)) flags[f[1]] = f[2];
    const instruction: Instruction = { name, args: rest, flags };
    if (name === 'HEALTHCHECK') {
      const cmd = /^CMD\s+(\[.*\])$/.exec(rest);
      if (cmd) instruction.exec = JSON.parse(cmd[1]);
    } else if (rest.startsWith('[')) instruction.exec = JSON.parse(rest);
    if (name === 'ARG' && stages.length === 0) {
      const [key, value = ''] = rest.split('=');
      globalArgs[key] = value;
    } else if (name === 'FROM') {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest);
      if (!from) throw new Error(`Dockerfile: unreadable FROM '${rest}'`);
      const image = from[1].replace(/\$\{?(\w+)\}?/g, (_, k: string) => globalArgs[k] ?? '');
      stages.push({ name: from[2], from: image, instructions: [] });
    } else {
      if (!stages.length) throw new Error(`Dockerfile: ${name} before the first FROM`);
      stages[stages.length - 1].instructions.push(instruction);
    }
  }
  return stages;
}

/** ENV key=value pairs (the only form used), in order. */
export function envOf(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const i of stage.instructions.filter((i) => i.name === 'ENV'))
    for (const pair of i.args.split(/\s+/)) {
      const eq = pair.indexOf('=');
      if (eq < 1) throw new Error(`Dockerfile: ENV '${i.args}' is not key=value`);
      env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  return env;
}

// ---- .dockerignore -------------------------------------------------------------------------------------------------

/**
 * Whether a path of the build context (relative, '/'-separated) is left out. As Docker does: each pattern is matched
 * against the whole path from the context's root (so `*.log` is only the root's), a matched directory takes its
 * contents with it, and the last matching pattern wins (`!` brings a path back).
 */
export function dockerignore(text: string): (path: string) => boolean {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = (negate ? l.slice(1) : l).replace(/^\/+|\/+$/g, '');
      if (/[[\]\\]/.test(pattern)) throw new Error(`.dockerignore: pattern '${l}' uses syntax this reader does not know`);
      const source = pattern
        .split('/')
        .map((part) => (part === '**' ? '.*' : part.replace(/[.+^${}()|]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')))
        .join('/');
      return { negate, re: new RegExp(`^${source.replace(/\.\*\//g, '(?:.*/)?')}$`) };
    });
  return (path) => {
    const parts = path.split('/');
    let excluded = false;
    for (const rule of rules)
      for (let n = 1; n <= parts.length; n++) if (rule.re.test(parts.slice(0, n).join('/'))) excluded = !rule.negate;
    return excluded;
  };
}

// ---- YAML (the compose file) ---------------------------------------------------------------------------------------

export type Yaml = string | null | Yaml[] | { [key: string]: Yaml };

/**
 * The block YAML the compose file is written in: maps, `- ` lists of scalars, plain, quoted and JSON-flow scalars,
 * comments, anchors (`&a`) and merge keys (`<<: *a`). Scalars stay strings.
 */
export function parseYaml(text: string): Yaml {
  const lines = text
    .split('\n')
    .map(stripComment)
    .filter((l) => l.trim())
    .map((l) => ({ indent: l.length - l.trimStart().length, text: l.trim() }));
  const anchors = new Map<string, Yaml>();
  let i = 0;
  const scalar = (s: string): Yaml => {
    if (s.startsWith('*')) {
      if (!anchors.has(s.slice(1))) throw new Error(`YAML: unknown alias ${s}`);
      return structuredClone(anchors.get(s.slice(1))!);
    }
    if (s.startsWith('"') || s.startsWith('[') || s.startsWith('{')) return JSON.parse(s);
    if (s.startsWith("'")) return s.slice(1, -1).replace(/''/g, "'");
    return s;
  };
  const block = (indent: number): Yaml => (lines[i].text.startsWith('- ') ? list(indent) : map(indent));
  const list = (indent: number): Yaml[] => {
    const out: Yaml[] = [];
    while (i < lines.length && lines[i].indent === indent && lines[i].text.startsWith('- ')) out.push(scalar(lines[i++].text.slice(2).trim()));
    return out;
  };
  const map = (indent: number): Record<string, Yaml> => {
    const own: Record<string, Yaml> = {};
    const merged: Record<string, Yaml> = {};
    while (i < lines.length && lines[i].indent === indent) {
      const m = /^([^\s:'"][^:]*):(?:\s+(.*))?$/.exec(lines[i].text);
      if (!m) throw new Error(`YAML: unreadable line '${lines[i].text}'`);
      i++;
      let rest = m[2]?.trim() ?? '';
      const anchor = /^&(\S+)\s*/.exec(rest);
      if (anchor) rest = rest.slice(anchor[0].length);
      const value = rest ? scalar(rest) : i < lines.length && lines[i].indent > indent ? block(lines[i].indent) : null;
      if (anchor) anchors.set(anchor[1], structuredClone(value));
      if (m[1] === '<<') Object.assign(merged, value);
      else own[m[1]] = value;
    }
    if (i < lines.length && lines[i].indent > indent) throw new Error(`YAML: unexpected indentation at '${lines[i].text}'`);
    return { ...merged, ...own }; // a key written out wins over a merged one
  };
  const doc = block(0);
  if (i < lines.length) throw new Error(`YAML: unread from '${lines[i].text}'`);
  return doc;
}

function stripComment(line: string): string {
  let quote = '';
  for (let k = 0; k < line.length; k++) {
    const c = line[k];
    if (quote) quote = c === quote ? '' : quote;
    else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (k === 0 || /\s/.test(line[k - 1]))) return line.slice(0, k);
  }
  return line;
}

/** Compose's ${NAME:-default} and ${NAME}, as compose substitutes them from the environment given. */
export function interpolate(value: string, env: Record<string, string | undefined> = {}): string {
  return value.replace(/\$\{(\w+)(?::-([^}]*))?\}/g, (_, k: string, d: string | undefined) => env[k] || d || '');
}

// ---- Caddyfile -----------------------------------------------------------------------------------------------------

/** The upstreams of the Caddyfile's reverse_proxy directives. */
export function caddyUpstreams(text: string): string[] {
  const found = [...text.matchAll(/^\s*reverse_proxy\s+([^{\n]*?)\s*\{?\s*$/gm)];
  return found.flatMap((m) => m[1].split(/\s+/).filter(Boolean));
}

/** A duration subdirective of the Caddyfile (`keepalive 60s`) in milliseconds. */
export function caddyDuration(text: string, directive: string): number | undefined {
  const m = new RegExp(`^\\s*${directive}\\s+(\\d+)(ms|s|m)\\s*$`, 'm').exec(text);
  if (!m) return undefined;
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[m[2] as 'ms' | 's' | 'm'];
}
