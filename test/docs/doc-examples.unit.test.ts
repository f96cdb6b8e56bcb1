/**
 * The doc-example parser and matcher on small pages, then on the real ones: every example they show parses
 * (no malformed expectation), and every relative link points at a file (and heading) that exists. Fast, no
 * server: test/docs/examples.e2e.test.ts is the one that runs the examples.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { anchors, brokenLinks, docPages, relativeLinks, ROOT, slug } from './doc-files.js';
import { mismatches, onPorts, parseCurlOutput } from './curl-answer.js';
import { parseDoc } from './doc-examples.js';
import { ANY, jsonMismatches, parseJsonPattern, textPattern } from './json-pattern.js';

const page = (...lines: string[]): string => lines.join('\n');

describe('reading a page', () => {
  it('finds curl examples at the stack in sh and bash blocks, with the heading above them and their line', () => {
    const doc = parseDoc('p.md', page('# Top', '## Try it', '```sh', 'curl -si http://127.0.0.1:8787/v2', '# HTTP/1.1 200 OK', '```', '```bash', 'curl -s http://localhost:8788/v2/health/ready', '```'));
    expect(doc.problems).toEqual([]);
    expect(doc.commands.map((c) => [c.kind, c.line, c.section])).toEqual([
      ['example', 4, 'Try it'],
      ['example', 8, 'Try it'],
    ]);
    expect(doc.commands[0]!.expect).toEqual([{ kind: 'status', line: 5, status: 200 }]);
  });

  it('leaves blocks of other languages and commands that do not call the stack alone', () => {
    const doc = parseDoc('p.md', page('```js', 'curl -si http://127.0.0.1:8787/v2', '```', '```sh', 'npm ci && npm start   # starts it', 'curl -s https://example.com/', '# whatever', "open 'http://127.0.0.1:8787/dashboard'", '# Decision for mnist: …', '```'));
    expect(doc.problems).toEqual([]);
    expect(doc.commands.map((c) => c.kind)).toEqual(['other', 'other', 'other']);
  });

  it('joins backslash continuations and newlines inside quotes into one command', () => {
    const doc = parseDoc('p.md', page('```sh', "curl -si -H 'ECT: 3g' \\", "  http://127.0.0.1:8787/v2/models/m/infer -d '{\"inputs\":[", '  {"name":"x"}]}\'', '# x-served-by: origin', '```'));
    expect(doc.problems).toEqual([]);
    expect(doc.commands).toHaveLength(1);
    expect(doc.commands[0]!.text).toBe("curl -si -H 'ECT: 3g'    http://127.0.0.1:8787/v2/models/m/infer -d '{\"inputs\":[\n  {\"name\":\"x\"}]}'");
    expect(doc.commands[0]!.expect).toEqual([{ kind: 'header', line: 5, name: 'x-served-by', value: 'origin' }]);
  });

  it('reads several headers on one line when two or more spaces part them, and a status in either form', () => {
    const doc = parseDoc('p.md', page('```sh', 'curl -si http://127.0.0.1:8787/x', '# 422 Unprocessable Entity', '# X-Model-Variant: fp32   x-route-reason: pinned fp32 at edge: 1 ms', '```'));
    expect(doc.commands[0]!.expect).toEqual([
      { kind: 'status', line: 3, status: 422 },
      { kind: 'header', line: 4, name: 'x-model-variant', value: 'fp32' },
      { kind: 'header', line: 4, name: 'x-route-reason', value: 'pinned fp32 at edge: 1 ms' },
    ]);
  });

  it('reads a JSON expectation over several # lines, with … elisions', () => {
    const doc = parseDoc('p.md', page('```sh', "curl -s 'http://127.0.0.1:8787/v2/models/mnist/device'", '# {"target":"device",', '#  "artifact":{"bytes":113034,"sha256":"b53d…"}, …}', '```'));
    expect(doc.problems).toEqual([]);
    expect(doc.commands[0]!.expect).toMatchObject([{ kind: 'json', line: 3, pattern: { target: 'device', artifact: { bytes: 113034, sha256: 'b53d…' } } }]);
  });

  it('takes only the # lines directly after an example as its output, and skips notes', () => {
    const doc = parseDoc('p.md', page('```sh', 'curl -si http://127.0.0.1:8787/x', '# note: the first call goes to the origin', '# x-served-by: edge', '', '# a comment after a blank line is prose', '```'));
    expect(doc.problems).toEqual([]);
    expect(doc.commands[0]!.expect).toEqual([{ kind: 'header', line: 4, name: 'x-served-by', value: 'edge' }]);
  });

  it.each([
    ['prose after an example', ['curl -si http://127.0.0.1:8787/x', '# Decision for mnist: int8 at edge'], /not a status, header or JSON/],
    ['a word that is no header', ['curl -si http://127.0.0.1:8787/x', '# Output: the logits'], /not a status, header or JSON/],
    ['JSON that does not parse', ['curl -s http://127.0.0.1:8787/x', '# {"a": 1,, }'], /JSON expectation does not parse/],
    ['a header the command cannot show', ['curl -s http://127.0.0.1:8787/x', '# x-served-by: edge'], /does not print them \(curl -i\)/],
    ['an unterminated quote', ["curl -s 'http://127.0.0.1:8787/x"], /unterminated quote/],
  ])('reports %s as a problem naming the line', (_what, block, problem) => {
    const doc = parseDoc('p.md', page('```sh', ...block, '```'));
    expect(doc.problems).toHaveLength(1);
    expect(doc.problems[0]).toMatch(/^p\.md:\d+: /);
    expect(doc.problems[0]).toMatch(problem);
  });

  it('runs a command before an example as setup only when it writes a file a later command reads', () => {
    const doc = parseDoc('p.md', page(
      '```sh', 'node -e "..." > digit.json', 'npm start', 'echo hi > unused.txt', '```',
      'Then:', '```sh', 'curl -si http://127.0.0.1:8787/v2/models/mnist/infer -d @digit.json', '```',
    ));
    expect(doc.commands.map((c) => c.kind)).toEqual(['setup', 'other', 'other', 'example']);
  });
});

describe('matching an answer', () => {
  it.each([
    ['fp32 at edge: most accurate within 44.2 ms budget (predicted 0.3 ms)', 'fp32 at edge: most accurate within 61 ms budget (predicted 12.25 ms)', true],
    ['fastest is fp32 at edge (0.3 ms > -53.8 ms budget)', 'fastest is fp32 at edge (0.1 ms > 2.4 ms budget)', true],
    ['fp32 at edge', 'fp16 at edge', false],
    ['int8 at edge', 'int8w at edge', false],
    ['origin failed (…); served fp32 at the edge', 'origin failed (origin did not answer within 149 ms); served fp32 at the edge', true],
    ['pinned int8 at edge', 'pinned int8 at edge, and more', false],
    ['mnist/fp32: p95 is 15.1x p50', 'mnist/fp32: p95 is 9.0x p50', false],
  ])('%j matches %j: %s', (expected, actual, ok) => {
    expect(textPattern(expected).test(actual)).toBe(ok);
  });

  it('splits curl -si output into status, headers and body, skipping 100 Continue', () => {
    const out = 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nX-Served-By: edge\r\nContent-Type: application/json\r\n\r\n{"a":1}';
    expect(parseCurlOutput(out)).toEqual({ status: 200, headers: [['x-served-by', 'edge'], ['content-type', 'application/json']], body: '{"a":1}' });
    expect(parseCurlOutput('{"a":1}')).toEqual({ headers: [], body: '{"a":1}' });
  });

  it('names the expectation line and what came instead for each miss', () => {
    const answer = parseCurlOutput('HTTP/1.1 422 Unprocessable Entity\r\nx-request-id: 1\r\n\r\n{"error":"SLO cannot be met"}');
    const misses = mismatches(
      [
        { kind: 'status', line: 3, status: 200 },
        { kind: 'header', line: 4, name: 'x-route-reason', value: 'predicted SLO miss: …' },
        { kind: 'json', line: 5, text: '', pattern: { error: 'SLO cannot be met' } },
      ],
      answer,
    );
    expect(misses).toEqual(['line 3: status 200 expected, got 422', 'line 4: x-route-reason: predicted SLO miss: …\n    got: (no such header)']);
  });

  it('checks JSON as containment: keys shown, numbers of any value, strings whole but for … and numbers', () => {
    const pattern = parseJsonPattern('{"target":"device","artifact":{"bytes":1,"sha256":"b53d97…"},"list":[1, …],"any":…, …}');
    const actual = { target: 'device', variant: 'int8', artifact: { bytes: 113034, sha256: 'b53d973cde', url: '/x' }, list: [5, 6, 7], any: { x: 1 } };
    expect(jsonMismatches(pattern, actual, '$')).toEqual([]);
    expect(jsonMismatches(pattern, { ...actual, target: 'edge', any: undefined }, '$')).toEqual(['$.target: expected "device", got "edge"']);
    expect(jsonMismatches(parseJsonPattern('{"reason":"fp32 at edge predicted 720.4 ms"}'), { reason: 'fp32 at edge predicted 312.4 ms' }, '$')).toEqual([]);
    expect(jsonMismatches(parseJsonPattern('{"reason":"fp32 at edge"}'), { reason: 'fp32 at edge, warm' }, '$')).toHaveLength(1);
    expect(jsonMismatches(parseJsonPattern('{"a":[1,2]}'), { a: [1, 2, 3] }, '$')).toEqual(['$.a: expected [1,2], got [1,2,3]']);
    expect(jsonMismatches(parseJsonPattern('{"a":"x","b":2}'), { b: '2' }, '$')).toEqual(['$.a: missing', '$.b: expected 2, got "2"']);
    expect(parseJsonPattern('[…]')).toEqual([ANY]);
  });

  it('points the documented ports at the test stack', () => {
    expect(onPorts("curl 'http://127.0.0.1:8787/v2' http://localhost:8788/x http://127.0.0.1:87870", { gateway: 1111, origin: 2222 })).toBe(
      "curl 'http://127.0.0.1:1111/v2' http://127.0.0.1:2222/x http://127.0.0.1:87870",
    );
  });
});

describe('the pages themselves', () => {
  const pages = docPages();

  it('include the README and the docs pages, and their examples are found', () => {
    expect(pages).toEqual(expect.arrayContaining(['README.md', 'docs/api.md', 'docs/extensions/statistics.md']));
    const examples = (file: string) => parseDoc(file, readFileSync(join(ROOT, file), 'utf8')).commands.filter((c) => c.kind === 'example').length;
    expect(examples('README.md')).toBeGreaterThanOrEqual(3);
    expect(pages.reduce((n, file) => n + examples(file), 0)).toBeGreaterThanOrEqual(15);
  });

  it.each(pages)('%s: every example it shows parses, with no malformed expectation', (file) => {
    expect(parseDoc(file, readFileSync(join(ROOT, file), 'utf8')).problems).toEqual([]);
  });

  it.each(pages)('%s: every relative link points at a file and heading that exist', (file) => {
    expect(brokenLinks(file)).toEqual([]);
  });

  it('finds relative links and GitHub anchors the way GitHub does', () => {
    const md = page('# How a request is routed', '## `x-slo-ms` and more', '## Try it', '## Try it', '[a](docs/api.md#request) ![b](x.png "t") [c](https://e.com) `[d](no.md)`', '```', '[e](in-code.md)', '```', '[f]: ../g.md');
    expect(relativeLinks(md).map((l) => l.target)).toEqual(['docs/api.md#request', 'x.png', '../g.md']);
    expect([...anchors(md)]).toEqual(['how-a-request-is-routed', 'x-slo-ms-and-more', 'try-it', 'try-it-1']);
    expect(slug('Doc examples are tests')).toBe('doc-examples-are-tests');
  });
});
