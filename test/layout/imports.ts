/**
 * The import graph of the repository's TypeScript, read from the source text: who imports whom, by path
 * relative to the repository root. Used by the layering test and printable with `npx tsx test/layout/imports.ts`.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SPEC = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s*['"]([^'"]+)['"]/gm;

export interface ImportEdge {
  from: string;
  /** A repository path for relative imports, else the bare specifier (`hono`, `node:fs`). */
  to: string;
}

function walk(dir: string, out: string[]): void {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (/\.(ts|tsx)$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
}

function resolveSpec(root: string, file: string, spec: string): string {
  if (!spec.startsWith('.')) return spec;
  const abs = resolve(dirname(join(root, file)), spec);
  for (const candidate of [abs.replace(/\.js$/, '.ts'), abs.replace(/\.js$/, '.tsx'), abs, `${abs}.ts`, join(abs, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return relative(root, candidate);
  }
  return relative(root, abs);
}

/** Every import edge of the .ts/.tsx files under `folders` (type-only imports included: they couple too). */
export function importGraph(root: string, folders: readonly string[]): ImportEdge[] {
  const files: string[] = [];
  for (const f of folders) if (existsSync(join(root, f))) walk(join(root, f), files);
  const edges: ImportEdge[] = [];
  for (const abs of files) {
    const from = relative(root, abs);
    const text = readFileSync(abs, 'utf8');
    for (const m of text.matchAll(SPEC)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (spec) edges.push({ from, to: resolveSpec(root, from, spec) });
    }
  }
  return edges;
}

/** Cycles among `edges` (strongly connected components with more than one file, or a self-import). */
export function cycles(edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (next.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of next.keys()) if (!idx.has(v)) visit(v);
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = resolve(dirname(new URL(import.meta.url).pathname), '../..');
  const edges = importGraph(root, ['src', 'routes', 'tools', 'origin', 'bench']);
  const folder = (p: string) => (p.includes('/') ? p.split('/').slice(0, p.startsWith('src/') || p.startsWith('tools/') ? 2 : 1).join('/').replace(/\.tsx?$/, '') : p);
  const pairs = new Map<string, number>();
  for (const e of edges) if (e.to.includes('/') && !e.to.startsWith('@')) pairs.set(`${folder(e.from)} -> ${folder(e.to)}`, (pairs.get(`${folder(e.from)} -> ${folder(e.to)}`) ?? 0) + 1);
  for (const [k, n] of [...pairs].sort()) if (!k.split(' -> ').every((x, _, a) => x === a[0])) console.log(`${k} (${n})`);
  console.log(`cycles: ${cycles(edges).length}`);
}
