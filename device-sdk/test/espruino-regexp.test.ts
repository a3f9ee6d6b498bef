// Every regex literal in the Espruino bundles behaves on Espruino's RegExp engine exactly as in
// JavaScript. Espruino's engine (src/jswrap_regexp.c) is far weaker than a real one; the subset
// checker (scripts/espruino-subset.ts, regexpRules) bans the syntax it lacks, and this test proves
// what remains: each literal is run through native RegExp.exec and through a port of Espruino's
// matcher (espruino-regexp.ts, a test oracle) over a corpus of the modem lines the regexes are
// written for (device-sdk/src/core/transport/qmt.ts, sm.ts, bytes.ts, core/cereg.ts; the IoT SAFE
// client's +CSIM replies are parsed with loops, core/iotsafe/csim.ts), their
// near misses and mutants, and the results must be identical (match, groups, index, lastIndex).
// `.test()` is exec() !== null and Espruino's String.replace is built on exec(), so exec covers
// every use the bundles make of their regexes.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'acorn';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '@simedge/hardware'; // seeded: the corpus is the same on every run
import {
  EspruinoRegExpError, espruinoExec, espruinoLexRegexLiteral, espruinoRegExp, espruinoTest, type EspruinoMatch,
} from './espruino-regexp.js';

const BUNDLES: Array<{ name: string; file: string }> = [
  { name: 'device-sdk/dist/espruino/simedge.min.js', file: fileURLToPath(new URL('../dist/espruino/simedge.min.js', import.meta.url)) },
  { name: 'device-sdk/dist/espruino/simedge-iotsafe.min.js', file: fileURLToPath(new URL('../dist/espruino/simedge-iotsafe.min.js', import.meta.url)) },
  { name: 'examples/espruino-thermometer/simedge-sim7080.min.js', file: fileURLToPath(new URL('../../examples/espruino-thermometer/simedge-sim7080.min.js', import.meta.url)) },
];

// ---------------------------------------------------------------------------------------------
// Comparing results

type Outcome = { match: Array<string | undefined>; index: number } | null | 'undefined' | { threw: string };

const outcome = (m: RegExpExecArray | EspruinoMatch | null | undefined): Outcome => {
  if (m === undefined) return 'undefined';
  if (m === null) return null;
  return { match: Array.from(m as ArrayLike<string | undefined>), index: m.index };
};

const show = (o: unknown): string => JSON.stringify(o, (_k, v: unknown) => (v === undefined ? '<undefined>' : v));

/** What Espruino returns for pattern/flags on input (exec from lastIndex 0), as an Outcome. */
function esp(pattern: string, input: string, flags = ''): Outcome {
  try {
    return outcome(espruinoExec(espruinoRegExp(pattern, flags), input));
  } catch (e) {
    if (e instanceof EspruinoRegExpError) return { threw: e.message };
    throw e;
  }
}

const js = (pattern: string, input: string, flags = ''): Outcome => outcome(new RegExp(pattern, flags).exec(input));

/** exec() repeatedly (once without `g`), native and Espruino side by side; returns the first
 *  difference as text, or undefined when every step agrees. */
function disagreement(pattern: string, flags: string, input: string): string | undefined {
  const native = new RegExp(pattern, flags);
  const oracle = espruinoRegExp(pattern, flags);
  const global = flags.indexOf('g') >= 0;
  for (let step = 0; step < (global ? 64 : 1); step++) {
    const n = outcome(native.exec(input));
    let e: Outcome;
    try {
      e = outcome(espruinoExec(oracle, input));
    } catch (err) {
      if (!(err instanceof EspruinoRegExpError)) throw err;
      e = { threw: err.message };
    }
    const where = `/${pattern}/${flags} on ${JSON.stringify(input)}${global ? ` (exec #${step + 1})` : ''}`;
    if (show(n) !== show(e)) return `${where}: JavaScript ${show(n)}, Espruino ${show(e)}`;
    if (native.lastIndex !== oracle.lastIndex) return `${where}: lastIndex JavaScript ${native.lastIndex}, Espruino ${oracle.lastIndex}`;
    if (n === null || (typeof n === 'object' && 'match' in n && (n.match[0] ?? '') === '')) break;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// (a) The oracle on known Espruino behaviour

describe('Espruino RegExp oracle (port of src/jswrap_regexp.c)', () => {
  it('matches like JavaScript on the basics: literals, + and *, classes, escapes, anchors', () => {
    const same: Array<[string, string, string]> = [
      ['a+b', '', 'caaab'], ['a+b', '', 'ab'], ['a+b', '', 'b'], ['a+b', '', 'aaa'], ['a*b', '', 'b'],
      ['[0-9A-Fa-f]+', '', 'xx12aFz'], ['[^"]*', '', '"'], ['[^"]*"', '', 'ab"c'], ['[a-c]+', '', 'xxdcbad'],
      ['W(o)rld', '', 'Hello World'], ['Wo', '', 'Hello World'],
      ['^\\+QMTSTAT: ([0-9]+),([0-9]+)', '', '+QMTSTAT: 0,2'], ['^abc', '', 'xabc'], ['abc$', '', 'abcx'],
      ['\\d+\\s\\w+', '', 'id 42 abc_9'], ['\\s+', '', 'a\t\v\f b'], ['\\D\\S\\W', '', '1a b'],
      ['\\x41+', '', 'zAAA'], ['[.]', '', 'a.b'], ['a.c', '', 'xabc'], ['cat|dog', '', 'hotdog'], ['cat|dog', '', 'cow'],
      ['^$', '', ''], ['x*', '', ''], ['ABC', 'i', 'xabc'], ['[A-F]+', 'i', 'zzdeadq'], ['\\\\', '', 'a\\b'],
    ];
    for (const [p, f, s] of same) expect(esp(p, s, f), `/${p}/${f} on ${JSON.stringify(s)}`).toEqual(js(p, s, f));
    expect(esp('a+b', 'caaab')).toEqual({ match: ['aaab'], index: 1 });
    expect(esp('W(o)rld', 'Hello World')).toEqual({ match: ['World', 'o'], index: 6 }); // the example in Espruino's docs
    expect(esp('^\\+QMTSTAT: ([0-9]+),([0-9]+)', '+QMTSTAT: 0,2')).toEqual({ match: ['+QMTSTAT: 0,2', '0', '2'], index: 0 });
    expect(esp('cat|dog', 'hotdog')).toEqual({ match: ['dog'], index: 3 });
  });

  it('treats ? and {n,m} as literal characters (why the checker bans them)', () => {
    // JavaScript: b is optional. Espruino: `?` is just a character to match.
    expect(js('ab?c', 'ac')).toEqual({ match: ['ac'], index: 0 });
    expect(esp('ab?c', 'ac')).toBeNull();
    expect(js('ab?c', 'abc')).toEqual({ match: ['abc'], index: 0 });
    expect(esp('ab?c', 'abc')).toBeNull();
    expect(js('ab?c', 'ab?c')).toBeNull();
    expect(esp('ab?c', 'ab?c')).toEqual({ match: ['ab?c'], index: 0 });
    expect(js('a{2}', 'aa')).toEqual({ match: ['aa'], index: 0 });
    expect(esp('a{2}', 'aa')).toBeNull();
    expect(esp('a{2}', 'a{2}')).toEqual({ match: ['a{2}'], index: 0 });
  });

  it('has groups as markers only: | inside a group ends the match, ) closes the last group opened', () => {
    expect(js('(a|b)c', 'ac')).toEqual({ match: ['ac', 'a'], index: 0 });
    expect(esp('(a|b)c', 'ac')).toEqual({ match: ['a', ''], index: 0 });
    expect(esp('(a|b)c', 'bc')).toEqual({ match: ['bc', 'b'], index: 0 });
    expect(js('((a)b)', 'ab')).toEqual({ match: ['ab', 'ab', 'a'], index: 0 });
    expect(esp('((a)b)', 'ab')).toEqual({ match: ['ab', '', 'ab'], index: 0 });
    // top-level |: groups of the failed alternative are kept (JavaScript reports them undefined)
    expect(js('(a)x|(b)', 'b')).toEqual({ match: ['b', undefined, 'b'], index: 0 });
    expect(esp('(a)x|(b)', 'b')).toEqual({ match: ['b', '', 'b'], index: 0 });
  });

  it('reproduces the end-of-input and repetition quirks', () => {
    // the end of a non-empty input is never a start position
    expect(js('$', 'ab')).toEqual({ match: [''], index: 2 });
    expect(esp('$', 'ab')).toBeNull();
    expect(esp('$', '')).toEqual({ match: [''], index: 0 });
    // past the end the current character reads as NUL, which `.` and negated classes accept
    expect(js('a.+', 'a')).toBeNull();
    expect(esp('a.+', 'a')).toEqual({ match: ['a'], index: 0 });
    expect(esp('x[^a]+', 'x')).toEqual({ match: ['x'], index: 0 });
    expect(esp('x\\D+', 'x')).toEqual({ match: ['x'], index: 0 });
    // `+` tries the rest with zero repetitions once the first character matched
    expect(js('a+a', 'a')).toBeNull();
    expect(esp('a+a', 'a')).toEqual({ match: ['a'], index: 0 });
    // a range needs low < high; \b is a backspace; `*` applies to one character, not a group
    expect(js('[a-a]', 'a')).toEqual({ match: ['a'], index: 0 });
    expect(esp('[a-a]', 'a')).toBeNull();
    expect(esp('a\\bb', 'a\bb')).toEqual({ match: ['a\bb'], index: 0 });
    expect(js('a\\bb', 'a\bb')).toBeNull();
    expect(js('(ab)*c', 'ababc')).toEqual({ match: ['ababc', 'ab'], index: 0 });
    expect(esp('(ab)*c', 'ababc')).toBeNull();
    expect(esp('(ab)*c', 'ab*c')).toEqual({ match: ['ab*c', 'ab'], index: 0 });
  });

  it('throws where Espruino throws', () => {
    expect(esp('(a)\\1', 'aa')).toEqual({ threw: 'Backreferences not supported' });
    expect(esp('[abc', 'a')).toEqual({ threw: 'Unfinished character set in RegEx' });
  });

  it('advances lastIndex only with g, like exec on Espruino', () => {
    const re = espruinoRegExp('[0-9]+', 'g');
    const seen: Outcome[] = [];
    for (let i = 0; i < 4; i++) seen.push(outcome(espruinoExec(re, 'a1b22c333')));
    expect(seen).toEqual([{ match: ['1'], index: 1 }, { match: ['22'], index: 3 }, { match: ['333'], index: 6 }, null]);
    expect(re.lastIndex).toBe(0);
    const once = espruinoRegExp('[0-9]+');
    expect(espruinoTest(once, 'a1')).toBe(true);
    expect(once.lastIndex).toBe(0);
    expect(disagreement('[0-9]+', 'g', 'a1b22c333')).toBeUndefined();
    re.lastIndex = 5; // beyond the input: Espruino returns undefined (JavaScript: null, lastIndex 0)
    expect(espruinoExec(re, 'ab')).toBeUndefined();
    expect(re.lastIndex).toBe(5);
  });

  it('models the lexer: a literal ends at the first unescaped /, even inside a class', () => {
    expect(espruinoLexRegexLiteral('/^\\+QMTSTAT: ([0-9]+)/g')).toEqual({ source: '^\\+QMTSTAT: ([0-9]+)', flags: 'g', rest: '' });
    expect(espruinoLexRegexLiteral('/a\\/b/')).toEqual({ source: 'a\\/b', flags: '', rest: '' });
    expect(espruinoLexRegexLiteral('/[/]/')).toEqual({ source: '[', flags: '', rest: ']/' });
  });
});

// ---------------------------------------------------------------------------------------------
// (b) The regex literals of the bundles against the corpus

interface Literal { pattern: string; flags: string; raw: string; line: number }

function regexLiterals(code: string): Literal[] {
  const ast = parse(code, { ecmaVersion: 'latest', sourceType: 'script', locations: true, allowReturnOutsideFunction: true });
  const out: Literal[] = [];
  const walk = (n: unknown): void => {
    if (typeof n !== 'object' || n === null) return;
    if (Array.isArray(n)) {
      for (const x of n) walk(x);
      return;
    }
    const node = n as { type?: unknown; regex?: { pattern: string; flags: string }; raw?: string; loc?: { start: { line: number } } };
    if (typeof node.type !== 'string') return;
    if (node.type === 'Literal' && node.regex) {
      out.push({ pattern: node.regex.pattern, flags: node.regex.flags, raw: node.raw ?? '', line: node.loc ? node.loc.start.line : 0 });
    }
    for (const [k, v] of Object.entries(node)) if (k !== 'loc' && typeof v === 'object') walk(v);
  };
  walk(ast);
  return out;
}

/** Lines the regexes are written for (device-sdk/src/core: QMT and SM receive and link-loss URCs,
 *  ICCID lines with F padding, hex payloads, +CSIM replies and their hex; test/core-at-fixtures.ts)
 *  and near misses. */
const BASE: string[] = [
  '+QMTRECV: 0,1,"simedge/v1/d/240011234567890/down",4,"A1617463"',
  '+QMTRECV: 0,65535,"t",0,""',
  '+QMTRECV: 1,2,"a/b",2,"00FF"',
  '+QMTRECV: 0,1,"topic with spaces",3,"0a0b0c"',
  '+QMTRECV: 0,1,simedge,4,"A1617463"',
  '+QMTRECV:0,1,"t",1,"00"',
  '+QMTRECV: 0,,"t",1,"00"',
  '+QMTSTAT: 0,1',
  '+QMTSTAT: 0,2',
  '+QMTSTAT: 1,7',
  '+QMTSTAT: 0',
  '+QMTSTAT: ,1',
  '+SMSUB: "simedge/v1/d/240011234567890/down","A1617463"',
  '+SMSUB: "t",""',
  '+SMSUB: "t","00ff" ',
  '+SMSUB: "t","00fg"',
  '+SMSUB: "t",00ff',
  '+SMSTATE: 0',
  '+SMSTATE: 0 ',
  '+SMSTATE: 1',
  '+SMSTATE: 0\t',
  '+CSIM: 6,"019000"',
  '+CSIM: 4,6A82',
  '61423340C3A1B2',
  '89460123456789012345',
  '8946012345678901234F',
  '894601234567890123FF',
  'F',
  'ff',
  '89f460',
  '0123456789abcdefABCDEF',
  'A1617463',
  'a1617463g',
  '',
  ' ',
  'OK',
  'ERROR',
];

/** The line, every prefix of it and every line with one character deleted. */
function variants(line: string): string[] {
  const out = [line];
  for (let i = 0; i < line.length; i++) out.push(line.substring(0, i), line.substring(0, i) + line.substring(i + 1));
  return out;
}

/** Random edits (replace, insert, delete) of the base lines, over the characters the patterns
 *  care about. */
function mutants(lines: string[], perLine: number): string[] {
  const next = mulberry32(0x5eed);
  const alphabet = '+QMTRECVSATUBqmtrecvsub: ,"0123456789AaBbFfGgXx\r\n\t-_()/';
  const pick = (s: string): string => s.charAt(Math.floor(next() * s.length));
  const out: string[] = [];
  for (const line of lines) {
    if (line.length > 120) continue;
    for (let n = 0; n < perLine; n++) {
      let s = line;
      const edits = 1 + Math.floor(next() * 3);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(next() * (s.length + 1));
        const kind = next();
        if (kind < 0.4 && s.length > 0) s = s.substring(0, at) + pick(alphabet) + s.substring(at + 1);
        else if (kind < 0.7) s = s.substring(0, at) + pick(alphabet) + s.substring(at);
        else s = s.substring(0, at) + s.substring(at + 1);
      }
      out.push(s);
    }
  }
  // and short strings made of the alphabet alone
  for (let n = 0; n < 400; n++) {
    let s = '';
    const len = Math.floor(next() * 12);
    for (let i = 0; i < len; i++) s += pick(alphabet);
    out.push(s);
  }
  return out;
}

function corpus(): string[] {
  const seen = new Set<string>();
  const add = (s: string): void => { seen.add(s); };
  for (const line of BASE) for (const v of variants(line)) add(v);
  for (const m of mutants(BASE, 100)) add(m);
  return Array.from(seen);
}

const CORPUS = corpus();

describe('regex literals of the Espruino bundles agree with Espruino\'s engine', () => {
  it('the corpus is substantial', () => {
    expect(CORPUS.length).toBeGreaterThan(3000);
  });

  it('the comparison has teeth: near variants of the bundle regexes that Espruino runs differently disagree on it', () => {
    const differs = (pattern: string): number => CORPUS.filter((s) => disagreement(pattern, '', s) !== undefined).length;
    expect(differs('^\\+QMTSTAT: ([0-9]{1,3}),([0-9]+)')).toBeGreaterThan(0); // {n,m} is literal there
    expect(differs('^\\+SMSTATE: 0\\s?$')).toBeGreaterThan(0); // ? is literal there
    expect(differs('^\\+SMSUB: "(.+)","([0-9A-Fa-f]*)"')).toBeGreaterThan(0); // .+ runs past the end
    expect(differs('[Ff]*$')).toBeGreaterThan(0); // the end of the input is never a start position
    expect(differs('^\\+QMTSTAT: ([0-9]+)|^\\+SMSTATE: ([0-9]+)')).toBeGreaterThan(0); // JS: undefined groups; Espruino: fewer
    expect(differs('^\\+SMSUB: "([^"]*)"')).toBe(0); // and a control that agrees
  });

  for (const bundle of BUNDLES) {
    describe(bundle.name, () => {
      // read at test time: the bundles may be rebuilt while the suite runs
      const literals = (): Literal[] => regexLiterals(readFileSync(bundle.file, 'utf8'));

      it('holds regex literals to check', () => {
        expect(literals().length).toBeGreaterThan(0);
      });

      it('every literal reaches Espruino as written (its lexer ends a literal at the first unescaped /) with flags it honours', () => {
        for (const r of literals()) {
          const lexed = espruinoLexRegexLiteral(r.raw);
          expect(lexed, `${r.raw} (line ${r.line})`).toEqual({ source: r.pattern, flags: r.flags, rest: '' });
          expect(r.flags.replace(/[gi]/g, ''), `${r.raw} (line ${r.line}): Espruino ignores flags other than g and i`).toBe('');
        }
      });

      it('every literal gives identical exec() results natively and on Espruino over the corpus', () => {
        const bad: string[] = [];
        for (const r of literals()) {
          for (const input of CORPUS) {
            const d = disagreement(r.pattern, r.flags, input);
            if (d !== undefined) bad.push(`line ${r.line}: ${d}`);
          }
        }
        expect(bad.length, `RegExp disagreements (first 20):\n${bad.slice(0, 20).join('\n')}`).toBe(0);
      });

      it('the corpus exercises every literal both ways (some inputs match, some do not)', () => {
        for (const r of literals()) {
          const re = new RegExp(r.pattern, r.flags);
          const hits = CORPUS.filter((s) => { re.lastIndex = 0; return re.test(s); }).length;
          expect(hits, `/${r.pattern}/${r.flags} matches no corpus line: extend BASE`).toBeGreaterThan(0);
          expect(hits, `/${r.pattern}/${r.flags} matches every corpus line: extend BASE`).toBeLessThan(CORPUS.length);
        }
      });
    });
  }
});
