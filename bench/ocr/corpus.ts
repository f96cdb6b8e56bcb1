/**
 * The known strings the OCR bench renders: short strings from a seeded generator (words in four letter
 * cases, numbers in everyday formats, codes that mix letters and digits) and lines of real English prose
 * (openings of public-domain books and speeches, wrapped to page width). Every character is in the
 * PaddleOCR dictionary, so a misread is the model's, never the table's. Same seed, same strings.
 */
import { Prng } from '../../tools/lib/prng.js';

const WORDS = (
  'time year people way day man thing woman life child world school state family student group country problem hand part place case ' +
  'week company system program question work government number night point home water room mother area money story fact month lot right ' +
  'study book eye job word business issue side kind head house service friend father power hour game line end member law car city ' +
  'community name president team minute idea kid body information back parent face others level office door health person art war history ' +
  'party result change morning reason research girl guy moment air teacher force education foot boy age policy music market sense nation ' +
  'plan college interest death experience effect class control care field development role effort rate heart drug show leader light voice ' +
  'wife police mind price report decision son view relationship town road arm difference value building action model season society tax ' +
  'director position player record paper space ground form event official matter center couple site project activity star table need court ' +
  'oil situation cost industry figure street image phone data picture practice piece land product doctor wall patient worker news test movie ' +
  'north love support technology step baby computer type attention film tree source organization hair window evidence population quick ' +
  'brown fox jumps over lazy dog gateway edge model latency fidelity variant origin request budget cloud worker'
).split(' ');

const PROSE = [
  'It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of foolishness, it was the epoch of belief, it was the epoch of incredulity.',
  'It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in want of a wife.',
  'Call me Ishmael. Some years ago - never mind how long precisely - having little or no money in my purse, and nothing particular to interest me on shore, I thought I would sail about a little and see the watery part of the world.',
  'Four score and seven years ago our fathers brought forth on this continent, a new nation, conceived in Liberty, and dedicated to the proposition that all men are created equal.',
  'Alice was beginning to get very tired of sitting by her sister on the bank, and of having nothing to do: once or twice she had peeped into the book her sister was reading.',
  'Marley was dead: to begin with. There is no doubt whatever about that. The register of his burial was signed by the clergyman, the clerk, the undertaker, and the chief mourner.',
  'There was no possibility of taking a walk that day. We had been wandering, indeed, in the leafless shrubbery an hour in the morning.',
  'To Sherlock Holmes she is always the woman. I have seldom heard him mention her under any other name.',
  'Whether I shall turn out to be the hero of my own life, or whether that station will be held by anybody else, these pages must show.',
  'When in the Course of human events, it becomes necessary for one people to dissolve the political bands which have connected them with another.',
];

/** What a rendered string is: how it was made decides which CER bucket it lands in. */
export type StringKind = 'word' | 'number' | 'mixed' | 'prose';

export interface Sample {
  text: string;
  kind: StringKind;
}

const CASES = [(w: string) => w, (w: string) => w[0]!.toUpperCase() + w.slice(1), (w: string) => w.toUpperCase(), (w: string, p: Prng) => [...w].map((c) => (p.next() < 0.5 ? c.toUpperCase() : c)).join('')];

function pick<T>(p: Prng, items: readonly T[]): T {
  return items[p.int(items.length)]!;
}

const digits = (p: Prng, n: number) => Array.from({ length: n }, (_, i) => String(i === 0 ? 1 + p.int(9) : p.int(10))).join('');
const pad2 = (n: number) => String(n).padStart(2, '0');

const NUMBERS: ((p: Prng) => string)[] = [
  (p) => digits(p, 1 + p.int(7)),
  (p) => `${digits(p, 1 + p.int(3))}.${digits(p, 1 + p.int(3))}`,
  (p) => `${digits(p, 1 + p.int(3))},${String(p.int(1000)).padStart(3, '0')}`,
  (p) => `-${digits(p, 1 + p.int(4))}`,
  (p) => `${p.int(101)}%`,
  (p) => `$${digits(p, 1 + p.int(4))}.${pad2(p.int(100))}`,
  (p) => `${1990 + p.int(40)}-${pad2(1 + p.int(12))}-${pad2(1 + p.int(28))}`,
  (p) => `${pad2(p.int(24))}:${pad2(p.int(60))}`,
  (p) => `${digits(p, 3)}-${String(p.int(10000)).padStart(4, '0')}`,
];

const MIXED: ((p: Prng) => string)[] = [
  (p) => `${String.fromCharCode(65 + p.int(26))}${String.fromCharCode(65 + p.int(26))}${digits(p, 2 + p.int(3))}`,
  (p) => `${pick(p, WORDS)}${digits(p, 1 + p.int(3))}`,
  (p) => `${pick(p, CASES)(pick(p, WORDS), p)} ${digits(p, 1 + p.int(3))}`,
  (p) => `v${1 + p.int(9)}.${p.int(20)}.${p.int(10)}`,
  (p) => `Room ${digits(p, 1 + p.int(3))}${String.fromCharCode(65 + p.int(6))}`,
  (p) => `ID: ${[...Array(4)].map(() => (p.next() < 0.5 ? String.fromCharCode(65 + p.int(26)) : String(p.int(10)))).join('')}`,
  (p) => `${pick(p, WORDS)}-${pick(p, WORDS)} ${digits(p, 2)}kg`,
];

/** `n` short strings from `seed`: 2/5 words (1-3, in lower, Title, UPPER or rAnDoM case), 3/10 numbers, 3/10 codes. */
export function shortStrings(n: number, seed: number): Sample[] {
  const p = new Prng(seed);
  return Array.from({ length: n }, (): Sample => {
    const r = p.next();
    if (r < 0.4) {
      const style = pick(p, CASES);
      return { kind: 'word', text: Array.from({ length: 1 + p.int(3) }, () => style(pick(p, WORDS), p)).join(' ') };
    }
    if (r < 0.7) return { kind: 'number', text: pick(p, NUMBERS)(p) };
    return { kind: 'mixed', text: pick(p, MIXED)(p) };
  });
}

/** The prose, wrapped at word boundaries to lines of at most `width` characters; the first `n` lines. */
export function proseLines(n: number, width = 46): Sample[] {
  const lines: string[] = [];
  for (const paragraph of PROSE) {
    let line = '';
    for (const word of paragraph.split(' ')) {
      if (line && line.length + 1 + word.length > width) {
        lines.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    if (line) lines.push(line);
  }
  return lines.slice(0, n).map((text) => ({ kind: 'prose', text }));
}

/**
 * `n` prose-length lines (about 30-60 characters; 43 on average) that share no text with PROSE: sentence-like runs of the words
 * above with a short string from `shortStrings` now and then, a capital first letter, a few commas and an
 * occasional full stop. Kind 'prose', so they are drawn at prose sizes; for training only (cls-set.ts --long),
 * where long lines must be seen without any held-out prose line being trained on.
 */
export function longLines(n: number, seed: number): Sample[] {
  const p = new Prng(seed);
  const extras = shortStrings(n * 4, seed + 1);
  let e = 0;
  return Array.from({ length: n }, (): Sample => {
    const target = 30 + p.int(31);
    const words: string[] = [];
    let text = '';
    for (;;) {
      const word = p.next() < 0.15 ? extras[e++ % extras.length]!.text : pick(p, WORDS);
      const next = text ? `${text} ${word}` : word;
      if (next.length > 60 || (text.length >= 30 && next.length > target)) break;
      words.push(word);
      if (p.next() < 0.12) words[words.length - 1] += ',';
      text = words.join(' ');
    }
    const line = text[0]!.toUpperCase() + text.slice(1).replace(/,$/, '');
    return { kind: 'prose', text: p.next() < 0.4 ? `${line}.` : line };
  });
}
