// Unit tests of the extension's editor-independent half (node --test).
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const lib = require('../lib');

// A reply as `patter send --json` prints it for a block with an unclosed record.
const reply = {
  reply: 'eval', ok: false, doc: 'repl', errors: 1, warnings: 0, changes: [],
  diagnostics: [{
    code: 'E0105', severity: 'error', message: 'the input ended in the middle of this record',
    help: 'close it with `}`',
    labels: [
      { file: 'repl', start: 12, end: 19, line: 2, col: 13, end_line: 2, end_col: 20, message: 'I was expecting `,` after this' },
      { file: 'repl', start: 7, end: 8, line: 2, col: 8, end_line: 2, end_col: 9, message: 'this `{` is never closed' },
    ],
  }, {
    code: 'E0301', severity: 'warning', message: 'in an import', help: null,
    labels: [{ file: '/lib/chords.pat', start: 0, end: 3, line: 4, col: 1, end_line: 4, end_col: 4, message: '' }],
  }],
};

test('blocks are paragraphs', () => {
  const lines = ['tempo 120', '', 'play a {', '  s: "bd"', '}', '', 'play b { s: "sn" }'];
  assert.deepStrictEqual(lib.findBlock(lines, 3), { start: 2, end: 4 });
  assert.deepStrictEqual(lib.findBlock(lines, 0), { start: 0, end: 0 });
  assert.deepStrictEqual(lib.findBlock(lines, 6), { start: 6, end: 6 });
});

test('diagnostics land on the editor lines of the sent block', () => {
  const ds = lib.diagnosticsFromReply(reply, 10);
  assert.strictEqual(ds.length, 2);
  assert.deepStrictEqual(ds[0].start, { line: 11, col: 12 });
  assert.deepStrictEqual(ds[0].end, { line: 11, col: 19 });
  assert.strictEqual(ds[0].severity, 'error');
  assert.match(ds[0].message, /help: close it/);
  assert.strictEqual(ds[0].file, null);
  // A label in an imported file keeps its own file and lines.
  assert.strictEqual(ds[1].file, '/lib/chords.pat');
  assert.deepStrictEqual(ds[1].start, { line: 3, col: 0 });
  assert.strictEqual(ds[1].severity, 'warning');
});

test('arguments, replies and summaries', () => {
  assert.deepStrictEqual(lib.sendArgs('repl', ''), ['send', '-', '--json', '--doc', 'repl']);
  assert.deepStrictEqual(lib.sendArgs('/a.pat', 'unix:/s'), ['send', '-', '--json', '--doc', '/a.pat', '--connect', 'unix:/s']);
  assert.strictEqual(lib.parseReply('\n{"reply":"eval","ok":true}\n').ok, true);
  assert.throws(() => lib.parseReply(''));
  assert.match(lib.summary(reply), /1 error/);
  assert.strictEqual(
    lib.summary({ reply: 'eval', ok: true, changes: [{ player: 'a', change: 'started', beat: 16 }, { player: 'b', change: 'unchanged', beat: null }] }),
    'patter: ok — a started at beat 16',
  );
  assert.strictEqual(lib.summary({ reply: 'error', code: 'no_engine', message: 'no engine' }), 'patter: no engine');
});
