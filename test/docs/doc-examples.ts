/**
 * Doc examples as tests: finds the shell examples a markdown page shows and what the page says they print,
 * and what each needs run first. Pure (text in, data out): json-pattern.ts holds the matching rules,
 * curl-answer.ts compares a real answer, examples.e2e.test.ts runs the examples against `npm start`'s stack.
 *
 * What counts as an example: in a ```sh or ```bash block, a command (one logical line: `\` continuations
 * and quoted newlines join) that runs `curl` against the local stack (127.0.0.1 or localhost, port 8787 for
 * the gateway, 8788 for the origin). The `#` lines directly after it (no blank line between) are what it
 * prints, each one of:
 *   # HTTP/1.1 422 …   or   # 422 …          the status (needs `curl -i`)
 *   # x-served-by: edge   x-model-variant: fp32
 *                                             headers (needs `curl -i`): name case-insensitive, several pairs
 *                                             on one line when 2+ spaces part them; the value must match whole
 *   # {"target":"device", …}                  JSON the body contains (may go on over the next `#` lines):
 *                                             objects need only the keys shown, `…` in an array or as a value
 *                                             stands for anything, a number for any number
 *   # note: …                                 prose, not checked
 * Anything else after an example is a malformed expectation. Header values and JSON strings match whole,
 * except that `…` matches any text and every number (digits not glued to letters: `fp32` stays literal)
 * any number, since latencies and budgets vary run to run. An example that shows no status must not
 * answer 4xx/5xx (when it prints its status).
 * Other commands are run only as setup: one that writes a file (`> f`) that a later command on the page
 * reads (`@f`, `< f`), e.g. the README's `node -e … > digit.json`. Nothing else (`npm start`, deploys,
 * `open`) is run. Each page's commands run in order, in one working directory of its own.
 */
import { parseJsonPattern, type JsonPattern } from './json-pattern.js';

/** One `#` line's claim about an example's output. */
export type Expectation =
  | { kind: 'status'; line: number; status: number }
  | { kind: 'header'; line: number; name: string; value: string }
  | { kind: 'json'; line: number; text: string; pattern: JsonPattern };

/** A command a page shows: an example (curl at the stack, with its expectations) or a setup step it needs. */
export interface DocCommand {
  file: string;
  /** 1-based line of the command's first line in the page. */
  line: number;
  /** The nearest heading above it. */
  section: string;
  text: string;
  kind: 'example' | 'setup' | 'other';
  expect: Expectation[];
}

export interface ParsedDoc {
  commands: DocCommand[];
  /** Malformed expectations and shell text that could not be split, each naming its line. */
  problems: string[];
}

const SHELL_INFO = /^(sh|bash|shell)$/i;
const STACK_URL = /\bhttps?:\/\/(?:127\.0\.0\.1|localhost):(?:8787|8788)(?!\d)/;
/** Single-word response headers; any other header name has a hyphen, so prose is not taken for one. */
const PLAIN_HEADERS = new Set(['age', 'allow', 'date', 'etag', 'expires', 'link', 'location', 'server', 'vary', 'via']);

/** Every example and setup command of one markdown page, with its expectations and any parse problems. */
export function parseDoc(file: string, markdown: string): ParsedDoc {
  const lines = markdown.split('\n');
  const commands: DocCommand[] = [];
  const problems: string[] = [];
  let section = '';
  for (let i = 0; i < lines.length; i++) {
    const fence = /^\s*(```|~~~)\s*(\S*)/.exec(lines[i]!);
    if (!fence) {
      const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(lines[i]!);
      if (heading) section = heading[1]!;
      continue;
    }
    const end = lines.findIndex((l, j) => j > i && l.trim().startsWith(fence[1]!));
    const stop = end < 0 ? lines.length : end;
    if (SHELL_INFO.test(fence[2]!)) {
      const block = parseBlock(file, section, lines.slice(i + 1, stop), i + 2);
      commands.push(...block.commands);
      problems.push(...block.problems);
    }
    i = stop;
  }
  markSetup(commands);
  return { commands, problems };
}

/** Splits one shell block into commands (quote- and continuation-aware) and reads each example's `#` lines. */
function parseBlock(file: string, section: string, lines: string[], firstLine: number): ParsedDoc {
  const commands: DocCommand[] = [];
  const problems: string[] = [];
  let current: { line: number; text: string } | undefined;
  let quote: string | undefined;
  let last: { command: DocCommand; comments: { line: number; text: string }[] } | undefined;
  const finish = (): void => {
    if (last) {
      const r = readExpectations(last.command, last.comments);
      last.command.expect = r.expect;
      problems.push(...r.problems);
    }
    last = undefined;
  };
  lines.forEach((raw, k) => {
    const line = firstLine + k;
    if (!current) {
      const trimmed = raw.trim();
      if (trimmed === '') return finish();
      if (trimmed.startsWith('#')) {
        last?.comments.push({ line, text: trimmed.replace(/^#\s?/, '') });
        return;
      }
      finish();
      current = { line, text: '' };
    }
    const scan = scanLine(raw, quote);
    quote = scan.quote;
    current.text += (current.text ? '\n' : '') + scan.code;
    if (quote === undefined && !scan.continues) {
      const text = current.text.replace(/\\\n/g, ' ').trim();
      const command: DocCommand = { file, line: current.line, section, text, kind: isExample(text) ? 'example' : 'other', expect: [] };
      commands.push(command);
      last = { command, comments: [] };
      current = undefined;
    }
  });
  if (current) problems.push(`${file}:${current.line}: unterminated quote or continuation in a shell block`);
  finish();
  return { commands, problems };
}

/** Walks one line keeping the quote state; drops a trailing `# comment` outside quotes. */
function scanLine(raw: string, quoteIn: string | undefined): { code: string; quote: string | undefined; continues: boolean } {
  let quote = quoteIn;
  let code = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (quote) {
      if (c === '\\' && quote === '"') {
        code += c + (raw[i + 1] ?? '');
        i++;
        continue;
      }
      if (c === quote) quote = undefined;
      code += c;
      continue;
    }
    if (c === '#' && (i === 0 || /\s/.test(raw[i - 1]!))) break;
    if (c === "'" || c === '"') quote = c;
    if (c === '\\') {
      code += c + (raw[i + 1] ?? '');
      i++;
      continue;
    }
    code += c;
  }
  code = code.replace(/\s+$/, '');
  return { code, quote, continues: quote === undefined && /(^|[^\\])\\$/.test(code) };
}

function isExample(text: string): boolean {
  return /(^|[\s;&|(])curl\s/.test(text) && STACK_URL.test(text);
}

/** Whether the command prints the status line and headers (curl -i / --include, or -I for HEAD). */
export function printsHeaders(text: string): boolean {
  return /(^|\s)(-[a-zA-Z]*[iI][a-zA-Z]*|--include|--head)(?=\s|$)/.test(text);
}

/** A non-example command is setup when it writes a file a later setup or example reads. */
function markSetup(commands: DocCommand[]): void {
  const needed = new Set<string>();
  for (let i = commands.length - 1; i >= 0; i--) {
    const c = commands[i]!;
    const writes = [...c.text.matchAll(/(?:^|[^<>&\d])>\s*([\w./-]+)/g)].map((m) => m[1]!);
    if (c.kind === 'other' && writes.some((f) => needed.has(f))) c.kind = 'setup';
    if (c.kind === 'other') continue;
    for (const m of c.text.matchAll(/(?:@|<\s*)([\w./-]+)/g)) needed.add(m[1]!);
  }
}

function readExpectations(command: DocCommand, comments: { line: number; text: string }[]): { expect: Expectation[]; problems: string[] } {
  const expect: Expectation[] = [];
  const problems: string[] = [];
  if (command.kind !== 'example') return { expect, problems };
  const at = (line: number): string => `${command.file}:${line}`;
  for (let k = 0; k < comments.length; k++) {
    const { line, text } = comments[k]!;
    if (/^note:/i.test(text)) continue;
    const status = /^(?:HTTP\/[\d.]+\s+)?([1-5]\d\d)(?:\s|$)/.exec(text);
    if (status) {
      expect.push({ kind: 'status', line, status: Number(status[1]) });
      continue;
    }
    if (/^[{[]/.test(text)) {
      let json = text;
      while (!balanced(json) && k + 1 < comments.length) json += '\n' + comments[++k]!.text;
      try {
        expect.push({ kind: 'json', line, text: json, pattern: parseJsonPattern(json) });
      } catch (e) {
        problems.push(`${at(line)}: JSON expectation does not parse: ${(e as Error).message}`);
      }
      continue;
    }
    const pairs = text.split(/\s{2,}(?=[A-Za-z][\w-]*:(?:\s|$))/);
    const headers = pairs.map((p) => /^([A-Za-z][\w-]*):\s*(.*)$/.exec(p));
    if (headers.every((h) => h && (h[1]!.includes('-') || PLAIN_HEADERS.has(h[1]!.toLowerCase())))) {
      for (const h of headers) expect.push({ kind: 'header', line, name: h![1]!.toLowerCase(), value: h![2]!.trim() });
      continue;
    }
    problems.push(`${at(line)}: '# ${text}' after an example is not a status, header or JSON expectation (prose: '# note: …')`);
  }
  if (expect.some((e) => e.kind !== 'json') && !printsHeaders(command.text)) {
    problems.push(`${at(command.line)}: expects a status or header, but the command does not print them (curl -i)`);
  }
  return { expect, problems };
}

/** Whether brackets outside strings close: a JSON expectation may go on over several `#` lines. */
function balanced(text: string): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
  }
  return depth <= 0;
}
