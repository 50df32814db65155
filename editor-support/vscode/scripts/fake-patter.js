#!/usr/bin/env node
// Stands in for `patter send - --json --doc DOC` in the extension test: replies with one
// error on line 2, column 3 of the text it was given, and echoes the document and text.
'use strict';
let text = '';
process.stdin.on('data', (d) => (text += d));
process.stdin.on('end', () => {
  const args = process.argv.slice(2);
  const doc = args[args.indexOf('--doc') + 1];
  const label = { file: doc, start: 0, end: 1, line: 2, col: 3, end_line: 2, end_col: 7, message: 'here' };
  const reply = {
    reply: 'eval', ok: false, doc, errors: 1, warnings: 0, changes: [],
    diagnostics: [{ code: 'E0301', severity: 'error', message: JSON.stringify({ args, text }), help: null, labels: [label] }],
  };
  process.stdout.write(JSON.stringify(reply) + '\n');
});
