// The extension's VS Code glue, run against a stand-in `vscode` module and a stand-in
// `patter` binary (scripts/fake-patter.js): the right text and document are sent, and the
// reply's diagnostics land on the editor's lines.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const path = require('path');
const os = require('os');
const Module = require('module');

const sets = [];
const messages = [];
const commands = new Map();
class Range {
  constructor(sl, sc, el, ec) { this.start = { line: sl, character: sc }; this.end = { line: el, character: ec }; }
}
class Diagnostic {
  constructor(range, message, severity) { this.range = range; this.message = message; this.severity = severity; }
}
const uri = (p) => ({ fsPath: p, toString: () => `file://${p}` });
const fake = {
  Range,
  Diagnostic,
  DiagnosticSeverity: { Error: 0, Warning: 1 },
  StatusBarAlignment: { Left: 1 },
  Uri: { file: uri, parse: (s) => uri(s.replace('file://', '')) },
  workspace: { getConfiguration: () => ({ get: (k) => ({ command: path.join(__dirname, '..', 'scripts', 'fake-patter.js'), connect: '' })[k] }) },
  languages: { createDiagnosticCollection: () => ({ set: (u, list) => sets.push([u.toString(), list]), clear: () => sets.splice(0), dispose() {} }) },
  window: {
    createStatusBarItem: () => ({ text: '', show() {}, dispose() {} }),
    showErrorMessage: (m) => messages.push(m),
    showWarningMessage: (m) => messages.push(m),
  },
  commands: { registerTextEditorCommand: (name, fn) => { commands.set(name, fn); return { dispose() {} }; } },
};
const load = Module._load;
Module._load = function (request, ...rest) {
  return request === 'vscode' ? fake : load.call(this, request, ...rest);
};
const extension = require('../extension');

// The document's folder must exist: the extension runs `patter send` there.
const file = path.join(os.tmpdir(), 'set.pat');
const text = 'tempo 120\n\nplay a {\n  s: nope\n}\n';
function editor(line) {
  return {
    document: { getText: () => text, isUntitled: false, uri: uri(file) },
    selection: { isEmpty: true, active: { line }, start: { line } },
  };
}

test('activation registers the three commands', () => {
  extension.activate({ subscriptions: [] });
  assert.deepStrictEqual([...commands.keys()].sort(), ['patter.sendBlock', 'patter.sendFile', 'patter.sendSelection']);
});

test('a block goes to the REPL document and its errors land on the editor lines', async () => {
  await commands.get('patter.sendBlock')(editor(3));
  const found = sets.find(([, l]) => l.length > 0);
  assert.ok(found, JSON.stringify(messages));
  const [target, list] = found;
  assert.strictEqual(target, `file://${file}`);
  const sent = JSON.parse(list[0].message.split(' — ')[0]);
  assert.strictEqual(sent.text, 'play a {\n  s: nope\n}');
  assert.deepStrictEqual(sent.args.slice(0, 5), ['send', '-', '--json', '--doc', 'repl']);
  // Line 2 column 3 of a block that starts on editor line 2 (0-based): line 3, character 2.
  assert.deepStrictEqual(list[0].range.start, { line: 3, character: 2 });
  assert.strictEqual(list[0].severity, 0);
  assert.match(messages.pop(), /1 error/);
});

test('the file goes as its own document', async () => {
  await commands.get('patter.sendFile')(editor(0));
  const [, list] = sets.find(([, l]) => l.length > 0);
  const sent = JSON.parse(list[0].message.split(' — ')[0]);
  assert.strictEqual(sent.text, text);
  assert.strictEqual(sent.args[4], file);
  assert.deepStrictEqual(list[0].range.start, { line: 1, character: 2 });
});
