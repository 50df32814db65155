// patter for VS Code: send the block, selection or file to a running engine
// (`patter serve`) through `patter send --json`, and show the diagnostics that come back.
// Plain JavaScript with no dependencies: nothing to build.
'use strict';
const vscode = require('vscode');
const { spawn } = require('child_process');
const path = require('path');
const lib = require('./lib');

let diagnostics;
let status;

function runSend(text, doc, cwd) {
  const config = vscode.workspace.getConfiguration('patter');
  const command = config.get('command') || 'patter';
  const args = lib.sendArgs(doc, config.get('connect') || '');
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', (e) => reject(new Error(`cannot run ${command}: ${e.message} (set patter.command)`)));
    child.on('close', () => {
      try {
        resolve(lib.parseReply(out));
      } catch (e) {
        reject(new Error(err.trim() || e.message));
      }
    });
    child.stdin.end(text);
  });
}

function toDiagnostic(d) {
  const range = new vscode.Range(d.start.line, d.start.col, d.end.line, Math.max(d.end.col, d.start.col + 1));
  const severity = d.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning;
  const diag = new vscode.Diagnostic(range, d.message, severity);
  diag.code = d.code;
  diag.source = 'patter';
  return diag;
}

async function send(editor, which) {
  const document = editor.document;
  let text;
  let firstLine;
  let doc;
  if (which === 'file') {
    text = document.getText();
    firstLine = 0;
    doc = document.isUntitled ? 'repl' : document.uri.fsPath;
  } else if (which === 'selection' && !editor.selection.isEmpty) {
    text = document.getText(editor.selection);
    firstLine = editor.selection.start.line;
    doc = 'repl';
  } else {
    const lines = document.getText().split(/\r?\n/);
    const block = lib.findBlock(lines, editor.selection.active.line);
    text = lines.slice(block.start, block.end + 1).join('\n');
    firstLine = block.start;
    doc = 'repl';
  }
  const cwd = document.isUntitled ? undefined : path.dirname(document.uri.fsPath);
  let reply;
  try {
    reply = await runSend(text, doc, cwd);
  } catch (e) {
    vscode.window.showErrorMessage(`patter: ${e.message}`);
    return;
  }
  const byFile = new Map([[document.uri.toString(), []]]);
  for (const d of lib.diagnosticsFromReply(reply, firstLine)) {
    const uri = d.file ? vscode.Uri.file(d.file) : document.uri;
    if (!byFile.has(uri.toString())) byFile.set(uri.toString(), []);
    byFile.get(uri.toString()).push(toDiagnostic(d));
  }
  diagnostics.clear();
  for (const [uri, list] of byFile) diagnostics.set(vscode.Uri.parse(uri), list);
  const message = lib.summary(reply);
  status.text = message;
  status.show();
  if (reply.reply === 'error') vscode.window.showErrorMessage(message);
  else if (!reply.ok) vscode.window.showWarningMessage(message);
}

function activate(context) {
  diagnostics = vscode.languages.createDiagnosticCollection('patter');
  status = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left);
  context.subscriptions.push(diagnostics, status);
  for (const [command, which] of [
    ['patter.sendBlock', 'block'],
    ['patter.sendSelection', 'selection'],
    ['patter.sendFile', 'file'],
  ]) {
    context.subscriptions.push(
      vscode.commands.registerTextEditorCommand(command, (editor) => send(editor, which)),
    );
  }
}

function deactivate() {}

module.exports = { activate, deactivate };
