/**
 * The pages whose examples are tests, found by glob so new pages join by existing: README.md, docs/**\/*.md,
 * sdk/README.md, bench/README.md, tools/**\/README.md. Also their relative links: each must name a file
 * that exists, and a `#fragment` a heading of that page (GitHub's slugs).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Repository-relative paths of every documentation page, sorted. */
export function docPages(root = ROOT): string[] {
  const under = (dir: string, name: RegExp): string[] =>
    existsSync(join(root, dir))
      ? (readdirSync(join(root, dir), { recursive: true }) as string[])
          .map((p) => posix.join(dir, p.split('\\').join('/')))
          .filter((p) => !p.includes('node_modules/') && name.test(posix.basename(p)) && statSync(join(root, p)).isFile())
      : [];
  const fixed = ['README.md', 'sdk/README.md', 'bench/README.md'].filter((p) => existsSync(join(root, p)));
  return [...fixed, ...under('docs', /\.md$/), ...under('tools', /^README\.md$/)].sort();
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading
    .replace(/`/g, '')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** Every heading anchor of a page, numbered as GitHub numbers repeats (`x`, `x-1`, ...). */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const { text } of outsideCode(markdown)) {
    const h = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(text);
    if (!h) continue;
    const base = slug(h[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Lines outside fenced code blocks, with their 1-based numbers. */
function outsideCode(markdown: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  let fence: string | undefined;
  markdown.split('\n').forEach((text, k) => {
    const f = /^\s*(```|~~~)/.exec(text);
    if (f && (!fence || f[1] === fence)) fence = fence ? undefined : f[1];
    else if (!fence) out.push({ line: k + 1, text });
  });
  return out;
}

/** Relative link targets of a page (inline, image and reference links; code spans and blocks skipped). */
export function relativeLinks(markdown: string): { line: number; target: string }[] {
  const out: { line: number; target: string }[] = [];
  for (const { line, text } of outsideCode(markdown)) {
    const prose = text.replace(/`[^`]*`/g, '');
    const targets = [
      ...[...prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!),
      ...[...prose.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/g)].map((m) => m[1]!),
    ];
    for (const target of targets) if (!/^[a-z][a-z0-9+.-]*:/i.test(target)) out.push({ line, target });
  }
  return out;
}

/** Links of one page that point nowhere: a missing file, or an anchor no heading of the target has. */
export function brokenLinks(page: string, root = ROOT): string[] {
  const markdown = readFileSync(join(root, page), 'utf8');
  return relativeLinks(markdown).flatMap(({ line, target }) => {
    const [path, fragment] = target.split('#', 2) as [string, string | undefined];
    const file = path === '' ? join(root, page) : path.startsWith('/') ? join(root, path) : resolve(dirname(join(root, page)), decodeURI(path));
    const where = `${page}:${line}: link ${target}`;
    if (!existsSync(file)) return [`${where}: no such file ${relative(root, file)}`];
    if (fragment && file.endsWith('.md') && !anchors(readFileSync(file, 'utf8')).has(decodeURIComponent(fragment).toLowerCase())) {
      return [`${where}: no heading with that anchor in ${relative(root, file)}`];
    }
    return [];
  });
}
