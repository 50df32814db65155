// The editor-independent half of the extension: what to send, how to run `patter send`,
// and how its JSON reply becomes diagnostics. No `vscode` import, so node tests it alone.
'use strict';

/** The paragraph around `line` (0-based): up to the blank lines before and after it. */
function findBlock(lines, line) {
  const blank = (i) => /^\s*$/.test(lines[i] || '');
  let start = line;
  while (start > 0 && !blank(start - 1)) start--;
  let end = line;
  while (end < lines.length - 1 && !blank(end + 1)) end++;
  return { start, end };
}

/** Arguments for `patter send`: the text goes on standard input. */
function sendArgs(doc, connect) {
  const args = ['send', '-', '--json', '--doc', doc];
  if (connect) args.push('--connect', connect);
  return args;
}

/** The reply in `patter send --json`'s output (its last non-empty line). */
function parseReply(stdout) {
  const lines = String(stdout).split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new Error('patter send printed nothing');
  return JSON.parse(lines[lines.length - 1]);
}

/**
 * Diagnostics as plain data from an eval reply. `firstLine` is the 0-based editor line of
 * the sent text's first line. Positions are 0-based; labels in other files (imports) keep
 * their own file and lines.
 */
function diagnosticsFromReply(reply, firstLine) {
  const out = [];
  for (const d of reply.diagnostics || []) {
    const label = (d.labels || [])[0];
    const own = !label || label.file === reply.doc;
    const base = own ? firstLine : 0;
    const start = label ? { line: base + label.line - 1, col: label.col - 1 } : { line: firstLine, col: 0 };
    const end = label ? { line: base + label.end_line - 1, col: label.end_col - 1 } : start;
    let message = d.message;
    if (label && label.message) message += ` — ${label.message}`;
    if (d.help) message += `\nhelp: ${d.help}`;
    out.push({
      file: own ? null : label.file,
      start,
      end,
      severity: d.severity === 'error' ? 'error' : 'warning',
      code: d.code,
      message,
    });
  }
  return out;
}

/** One line for the status bar or a notification. */
function summary(reply) {
  if (reply.reply === 'error') return `patter: ${reply.message}`;
  if (!reply.ok) return `patter: ${reply.errors} error(s); nothing that plays has changed`;
  const changes = (reply.changes || []).filter((c) => c.change !== 'unchanged');
  if (changes.length === 0) return 'patter: ok, nothing changed';
  return 'patter: ok — ' + changes.map((c) => (c.beat == null ? `${c.player} ${c.change}` : `${c.player} ${c.change} at beat ${c.beat}`)).join(', ');
}

module.exports = { findBlock, sendArgs, parseReply, diagnosticsFromReply, summary };
