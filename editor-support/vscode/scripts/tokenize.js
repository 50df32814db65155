// Tokenizes .pat files with the grammar through vscode-textmate and Oniguruma (the engine
// VS Code itself uses) and prints one JSON line per file:
//   {"file": F, "lines": [[{"start": 0, "end": 3, "scopes": ["source.patter", ...]}, ...], ...]}
// Offsets are UTF-16 code units within the line, as VS Code counts them. The Rust test
// tests/tests/editor_grammars.rs compares these scopes with patter's own lexer.
'use strict';
const fs = require('fs');
const path = require('path');
const vsctm = require('vscode-textmate');
const oniguruma = require('vscode-oniguruma');

async function main(files) {
  const wasm = fs.readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (sources) => new oniguruma.OnigScanner(sources),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scopeName) => {
      if (scopeName !== 'source.patter') return null;
      const file = path.join(__dirname, '..', 'syntaxes', 'patter.tmLanguage.json');
      return vsctm.parseRawGrammar(fs.readFileSync(file, 'utf8'), file);
    },
  });
  const grammar = await registry.loadGrammar('source.patter');
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    let state = vsctm.INITIAL;
    const lines = [];
    for (const line of text.split('\n')) {
      // A 1 s limit per line: a runaway regex fails the test instead of hanging it.
      const r = grammar.tokenizeLine(line, state, 1000);
      if (r.stoppedEarly) throw new Error(`${file}: tokenizing stopped early on: ${line}`);
      lines.push(r.tokens.map((t) => ({ start: t.startIndex, end: Math.min(t.endIndex, line.length), scopes: t.scopes })));
      state = r.ruleStack;
    }
    process.stdout.write(JSON.stringify({ file, lines }) + '\n');
  }
}

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(String(e && e.stack ? e.stack : e) + '\n');
  process.exit(1);
});
