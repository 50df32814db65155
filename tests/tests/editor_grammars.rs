//! The editor grammars (editor-support/) against patter's own lexer.
//!
//! Every `.pat` file in the repository (examples, stdlib, test cases, the grammar showcase)
//! is highlighted by the VS Code TextMate grammar — tokenized by vscode-textmate with
//! Oniguruma, the engine VS Code itself runs, through node — and by the Vim syntax file in
//! a real `vim -es`. At every token the lexer finds, the highlighting class must agree:
//! keywords are keywords (or record keys when a `:` follows), strings and comments are
//! covered whole, numbers are numbers, and no character outside a string is left without a
//! scope; inside strings every character belongs to a mini-notation item.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use patter_lang::token::{lex, Token, TokenKind};

/// What a highlighter made of one character.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Keyword,
    Key,
    Str,
    Comment,
    Number,
    Operator,
    Punct,
    Name,
    /// No scope or group at all.
    Plain,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn corpus() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "pat") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    for dir in [
        "examples",
        "stdlib",
        "tests/cases",
        "editor-support/samples",
    ] {
        walk(&root().join(dir), &mut files);
    }
    files.sort();
    assert!(files.len() > 10, "the corpus went missing: {files:?}");
    assert!(files.iter().any(|f| f.ends_with("examples/first-beat.pat")));
    files
}

/// Byte offset -> (0-based line, byte column, UTF-16 column).
fn position(src: &str, at: usize) -> (usize, usize, usize) {
    let line_start = src.get(..at).unwrap().rfind('\n').map_or(0, |i| i + 1);
    let line = src.get(..line_start).unwrap().matches('\n').count();
    let prefix = src.get(line_start..at).unwrap();
    (line, prefix.len(), prefix.encode_utf16().count())
}

/// The class each token should get, checked at the positions returned.
fn expectations(src: &str) -> Vec<(usize, Class, Token)> {
    let toks = lex(src);
    let mut out = Vec::new();
    for (i, (tok, range)) in toks.iter().enumerate() {
        let next_is_colon_on_this_line = toks.get(i + 1).is_some_and(|(t, r)| {
            *t == Token::Colon && !src.get(range.end..r.start).unwrap().contains('\n')
        });
        let whole = |class: Class, out: &mut Vec<(usize, Class, Token)>| {
            for (off, c) in src.get(range.clone()).unwrap().char_indices() {
                if !c.is_whitespace() {
                    out.push((range.start + off, class, *tok));
                }
            }
        };
        match tok.kind() {
            TokenKind::Keyword | TokenKind::Ident if next_is_colon_on_this_line => {
                out.push((range.start, Class::Key, *tok))
            }
            TokenKind::Keyword => out.push((range.start, Class::Keyword, *tok)),
            TokenKind::Ident => out.push((range.start, Class::Name, *tok)),
            TokenKind::Number => out.push((range.start, Class::Number, *tok)),
            TokenKind::Operator => out.push((range.start, Class::Operator, *tok)),
            TokenKind::Punctuation => out.push((range.start, Class::Punct, *tok)),
            TokenKind::String => whole(Class::Str, &mut out),
            TokenKind::Comment => whole(Class::Comment, &mut out),
            // Unknown characters and unterminated strings or comments: the lexer itself
            // reports them, any highlighting will do.
            TokenKind::Error => {}
        }
    }
    out
}

/// Positions strictly inside closed strings that are not import paths: each must be in a
/// mini-notation item (or be whitespace).
fn string_interiors(src: &str) -> Vec<usize> {
    let toks = lex(src);
    let mut out = Vec::new();
    for (i, (tok, range)) in toks.iter().enumerate() {
        let after_import = i > 0 && toks.get(i - 1).is_some_and(|(t, _)| *t == Token::Import);
        if *tok != Token::Str || after_import || range.len() < 2 {
            continue;
        }
        let inner = src.get(range.start + 1..range.end - 1).unwrap();
        for (off, c) in inner.char_indices() {
            if !c.is_whitespace() {
                out.push(range.start + 1 + off);
            }
        }
    }
    out
}

fn report(failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{} disagreements with the lexer, first ones:\n{}",
        failures.len(),
        failures
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

fn check_file(
    file: &Path,
    src: &str,
    class_at: &dyn Fn(usize, usize, usize) -> Class,
    is_mini_at: &dyn Fn(usize, usize, usize) -> bool,
    failures: &mut Vec<String>,
) {
    let name = file.strip_prefix(root()).unwrap_or(file).display();
    for (at, want, tok) in expectations(src) {
        let (line, byte_col, u16_col) = position(src, at);
        let got = class_at(line, byte_col, u16_col);
        if got != want {
            failures.push(format!(
                "{name}:{}:{}: {tok} `{}`: expected {want:?}, highlighted as {got:?}",
                line + 1,
                byte_col + 1,
                excerpt(src, at)
            ));
        }
    }
    for at in string_interiors(src) {
        let (line, byte_col, u16_col) = position(src, at);
        if !is_mini_at(line, byte_col, u16_col) {
            failures.push(format!(
                "{name}:{}:{}: `{}` inside a string is in no mini-notation item",
                line + 1,
                byte_col + 1,
                excerpt(src, at)
            ));
        }
    }
}

// ---------------------------------------------------------------------------------------
// VS Code: TextMate grammar

struct TmToken {
    start: usize,
    end: usize,
    scopes: Vec<String>,
}

/// Tokenize files with vscode-textmate (editor-support/vscode/scripts/tokenize.js).
fn textmate(files: &[PathBuf]) -> Vec<Vec<Vec<TmToken>>> {
    let dir = root().join("editor-support/vscode");
    assert!(
        dir.join("node_modules/vscode-textmate").is_dir(),
        "the grammar test needs node and the extension's dev dependencies: run \
         `npm ci` in editor-support/vscode (.ci/run does)"
    );
    let out = Command::new("node")
        .arg(dir.join("scripts/tokenize.js"))
        .args(files)
        .output()
        .expect("node runs (apt-get install nodejs)");
    assert!(
        out.status.success(),
        "tokenize.js failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    text.lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["lines"]
                .as_array()
                .unwrap()
                .iter()
                .map(|line| {
                    line.as_array()
                        .unwrap()
                        .iter()
                        .map(|t| TmToken {
                            start: t["start"].as_u64().unwrap() as usize,
                            end: t["end"].as_u64().unwrap() as usize,
                            scopes: t["scopes"]
                                .as_array()
                                .unwrap()
                                .iter()
                                .map(|s| s.as_str().unwrap().to_string())
                                .collect(),
                        })
                        .collect()
                })
                .collect()
        })
        .collect()
}

fn tm_scopes(lines: &[Vec<TmToken>], line: usize, col: usize) -> &[String] {
    lines
        .get(line)
        .and_then(|toks| toks.iter().find(|t| t.start <= col && col < t.end))
        .map_or(&[], |t| t.scopes.as_slice())
}

fn tm_class(scopes: &[String]) -> Class {
    let any = |p: &str| scopes.iter().any(|s| s.starts_with(p));
    let last = scopes.last().map_or("", String::as_str);
    if any("comment.") {
        Class::Comment
    } else if any("string.") || any("punctuation.definition.string") {
        Class::Str
    } else if last.starts_with("variable.other.property.key") {
        Class::Key
    } else if last.starts_with("keyword.operator") {
        Class::Operator
    } else if last.starts_with("keyword.")
        || last.starts_with("storage.type")
        || last.starts_with("constant.language")
    {
        Class::Keyword
    } else if last.starts_with("constant.numeric") {
        Class::Number
    } else if last.starts_with("punctuation.") {
        Class::Punct
    } else if last.starts_with("entity.name")
        || last.starts_with("support.function")
        || last.starts_with("variable.")
    {
        Class::Name
    } else {
        Class::Plain
    }
}

#[test]
fn textmate_grammar_agrees_with_the_lexer_on_every_file() {
    let files = corpus();
    let tokens = textmate(&files);
    assert_eq!(tokens.len(), files.len());
    let mut failures = Vec::new();
    for (file, lines) in files.iter().zip(&tokens) {
        let src = std::fs::read_to_string(file).unwrap();
        check_file(
            file,
            &src,
            &|line, _, col| tm_class(tm_scopes(lines, line, col)),
            &|line, _, col| {
                tm_scopes(lines, line, col)
                    .last()
                    .is_some_and(|s| s.ends_with(".mini.patter"))
            },
            &mut failures,
        );
    }
    report(&failures);
}

/// The scope the grammar gives the first occurrence of `needle` on the showcase line that
/// contains `line_has`.
fn tm_scope_of(lines: &[Vec<TmToken>], src: &str, line_has: &str, needle: &str) -> String {
    let (line, text) = src
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains(line_has))
        .unwrap();
    let col = text.find(needle).unwrap();
    tm_scopes(lines, line, text.get(..col).unwrap().encode_utf16().count())
        .last()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn textmate_scopes_mini_notation_inside_strings() {
    let file = root().join("editor-support/samples/showcase.pat");
    let src = std::fs::read_to_string(&file).unwrap();
    let tokens = textmate(std::slice::from_ref(&file));
    let lines = &tokens[0];
    let drums = "s: \"bd*2";
    for (line_has, needle, scope) in [
        (drums, "~", "constant.language.rest.mini.patter"),
        (drums, "- _", "constant.language.rest.mini.patter"),
        (drums, "_ [", "constant.language.rest.mini.patter"),
        (drums, "*2", "keyword.operator.mini.patter"),
        (drums, "2 [", "constant.numeric.mini.patter"),
        (drums, "0.2", "constant.numeric.mini.patter"),
        (drums, "bd*", "string.unquoted.word.mini.patter"),
        (drums, ":2", "keyword.operator.mini.patter"),
        (drums, "(3,8", "punctuation.section.euclid.mini.patter"),
        (drums, "[~", "punctuation.section.sequence.mini.patter"),
        ("n: \"0 ..", "..", "keyword.operator.range.mini.patter"),
        ("n: \"0 ..", "-1", "constant.numeric.mini.patter"),
        (
            "n: \"0 ..",
            "<1",
            "punctuation.section.alternation.mini.patter",
        ),
        ("n: \"0 ..", "%4", "keyword.operator.mini.patter"),
        ("play keys", "c4", "constant.other.note.mini.patter"),
        ("play keys", "eb5", "constant.other.note.mini.patter"),
        ("play keys", "f#3", "constant.other.note.mini.patter"),
        ("play keys", "every", "support.function.builtin.patter"),
        ("play lead", "up(", "entity.name.function.method.patter"),
        ("play keys", "rev", "support.function.builtin.patter"),
        ("play keys", "keys", "entity.name.type.player.patter"),
        ("play lead", "scale:", "variable.other.property.key.patter"),
        ("n: \"0 ..", "n:", "variable.other.property.key.patter"),
        ("play lead", "play", "keyword.control.play.patter"),
        ("import", "std", "string.quoted.double.path.patter"),
        ("import", "import", "keyword.control.import.patter"),
        ("fn up", "up", "entity.name.function.patter"),
        ("TODO", "TODO", "comment.line.double-slash.patter"),
        ("spans lines", "spans", "comment.block.patter"),
        ("hh cp", "cp", "string.unquoted.word.mini.patter"),
    ] {
        assert_eq!(
            tm_scope_of(lines, &src, line_has, needle),
            scope,
            "`{needle}` on the line with `{line_has}`"
        );
    }
}

fn check_builtins(got: &BTreeSet<String>, grammar: &str) {
    let want: BTreeSet<String> = patter_lang::eval::builtin_names()
        .map(str::to_string)
        .collect();
    let missing: Vec<&String> = want.difference(got).collect();
    assert!(
        missing.is_empty(),
        "the {grammar} does not highlight these builtins: {missing:?}; add them to the builtin \
         lists of editor-support/vscode/syntaxes/patter.tmLanguage.json and \
         editor-support/vim/syntax/patter.vim"
    );
    let unknown: Vec<&String> = got.difference(&want).collect();
    assert!(
        unknown.is_empty(),
        "the {grammar} lists names that are not builtins: {unknown:?}"
    );
}

#[test]
fn grammars_know_the_languages_builtins() {
    let tm: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            root().join("editor-support/vscode/syntaxes/patter.tmLanguage.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let re = tm["repository"]["builtin"]["match"].as_str().unwrap();
    let inner = re
        .strip_prefix("\\b(")
        .unwrap()
        .strip_suffix(")\\b")
        .unwrap();
    let got: BTreeSet<String> = inner.split('|').map(str::to_string).collect();
    check_builtins(&got, "TextMate grammar");

    let vim = std::fs::read_to_string(root().join("editor-support/vim/syntax/patter.vim")).unwrap();
    let line = vim
        .lines()
        .find(|l| l.starts_with("syn match patterBuiltin"))
        .unwrap();
    let pattern = line.split('"').nth(1).unwrap();
    let got: BTreeSet<String> = pattern
        .strip_prefix("\\<\\(")
        .unwrap()
        .strip_suffix("\\)\\>")
        .unwrap()
        .split("\\|")
        .map(str::to_string)
        .collect();
    check_builtins(&got, "Vim syntax");
}

// ---------------------------------------------------------------------------------------
// Vim

/// Per file: the filetype Vim detected, and per line the syntax group at each byte.
fn vim_groups(files: &[PathBuf]) -> Vec<(String, Vec<Vec<String>>)> {
    // Tests run in parallel: each call gets its own directory.
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("patter-vim-{}-{call}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out_file = dir.join("groups.txt");
    let quote = |p: &Path| format!("'{}'", p.display().to_string().replace('\'', "''"));
    let list: Vec<String> = files.iter().map(|f| quote(f)).collect();
    let script = format!(
        "set rtp^={rtp}\n\
         filetype plugin on\n\
         syntax on\n\
         let out = []\n\
         for f in [{files}]\n\
         \x20 execute 'edit!' fnameescape(f)\n\
         \x20 call add(out, 'FILE ' . &filetype)\n\
         \x20 for l in range(1, line('$'))\n\
         \x20   let row = []\n\
         \x20   for c in range(1, col([l, '$']) - 1)\n\
         \x20     call add(row, synIDattr(synID(l, c, 1), 'name'))\n\
         \x20   endfor\n\
         \x20   call add(out, join(row, ' ') . ' ')\n\
         \x20 endfor\n\
         endfor\n\
         call writefile(out, {out})\n\
         qa!\n",
        rtp = root().join("editor-support/vim").display(),
        files = list.join(", "),
        out = quote(&out_file),
    );
    let script_file = dir.join("dump.vim");
    std::fs::write(&script_file, script).unwrap();
    let status = Command::new("vim")
        // -n: no swap files, so parallel tests editing the same file do not trip over each other.
        .args(["-Nu", "NONE", "-i", "NONE", "-n", "-es", "-S"])
        .arg(&script_file)
        .status()
        .expect("vim runs (apt-get install vim)");
    assert!(status.success(), "vim failed: {status}");
    let text = std::fs::read_to_string(&out_file).unwrap();
    std::fs::remove_dir_all(&dir).ok();
    let mut result: Vec<(String, Vec<Vec<String>>)> = Vec::new();
    for line in text.lines() {
        if let Some(ft) = line.strip_prefix("FILE ") {
            result.push((ft.to_string(), Vec::new()));
        } else {
            // Every byte gets a name followed by a space; empty names are "no group".
            let row = line
                .strip_suffix(' ')
                .unwrap_or(line)
                .split(' ')
                .map(str::to_string)
                .collect();
            result.last_mut().unwrap().1.push(row);
        }
    }
    result
}

fn vim_group(rows: &[Vec<String>], line: usize, col: usize) -> &str {
    rows.get(line)
        .and_then(|r| r.get(col))
        .map_or("", String::as_str)
}

fn vim_class(group: &str) -> Class {
    match group {
        "patterLineComment" | "patterBlockComment" | "patterTodo" => Class::Comment,
        "patterString" | "patterQuote" | "patterPath" => Class::Str,
        g if g.starts_with("patterMini") => Class::Str,
        "patterKey" => Class::Key,
        "patterOperator" => Class::Operator,
        "patterDeclare" | "patterImport" | "patterStatement" | "patterSetting"
        | "patterBoolean" | "patterRest" => Class::Keyword,
        "patterNumber" => Class::Number,
        "patterDelimiter" => Class::Punct,
        "patterName" | "patterBuiltin" | "patterFuncName" | "patterCall" | "patterMethod"
        | "patterPlayer" => Class::Name,
        _ => Class::Plain,
    }
}

#[test]
fn vim_syntax_agrees_with_the_lexer_on_every_file() {
    let files = corpus();
    let groups = vim_groups(&files);
    assert_eq!(groups.len(), files.len());
    let mut failures = Vec::new();
    for (file, (filetype, rows)) in files.iter().zip(&groups) {
        assert_eq!(filetype, "patter", "ftdetect on {}", file.display());
        let src = std::fs::read_to_string(file).unwrap();
        check_file(
            file,
            &src,
            &|line, col, _| vim_class(vim_group(rows, line, col)),
            &|line, col, _| {
                let g = vim_group(rows, line, col);
                g.starts_with("patterMini")
            },
            &mut failures,
        );
    }
    report(&failures);
}

#[test]
fn vim_groups_mini_notation_inside_strings() {
    let file = root().join("editor-support/samples/showcase.pat");
    let src = std::fs::read_to_string(&file).unwrap();
    let groups = vim_groups(std::slice::from_ref(&file));
    let rows = &groups[0].1;
    let group_of = |line_has: &str, needle: &str| {
        let (line, text) = src
            .lines()
            .enumerate()
            .find(|(_, l)| l.contains(line_has))
            .unwrap();
        vim_group(rows, line, text.find(needle).unwrap()).to_string()
    };
    let drums = "s: \"bd*2";
    for (line_has, needle, group) in [
        (drums, "~", "patterMiniRest"),
        (drums, "- _", "patterMiniRest"),
        (drums, "_ [", "patterMiniRest"),
        (drums, "*2", "patterMiniOperator"),
        (drums, "2 [", "patterMiniNumber"),
        (drums, "0.2", "patterMiniNumber"),
        (drums, "bd*", "patterMiniWord"),
        ("n: \"0 ..", "-1", "patterMiniNumber"),
        ("play keys", "c4", "patterMiniNote"),
        ("play keys", "eb5", "patterMiniNote"),
        ("play keys", "f#3", "patterMiniNote"),
        ("play keys", "every", "patterBuiltin"),
        ("play lead", "up(", "patterMethod"),
        ("n: \"0 ..", "n:", "patterKey"),
        ("play keys", "keys", "patterPlayer"),
        ("play lead", "scale:", "patterKey"),
        ("play lead", "play", "patterStatement"),
        ("import", "std", "patterPath"),
        ("fn up", "up", "patterFuncName"),
        ("TODO", "TODO", "patterTodo"),
        ("spans lines", "spans", "patterBlockComment"),
        ("hh cp", "cp", "patterMiniWord"),
        ("letter", "letter", "patterName"),
    ] {
        assert_eq!(
            group_of(line_has, needle),
            group,
            "`{needle}` on the line with `{line_has}`"
        );
    }
}

fn excerpt(src: &str, at: usize) -> String {
    src.get(at..)
        .unwrap()
        .chars()
        .take(12)
        .map(|c| if c == '\n' { '⏎' } else { c })
        .collect()
}
