//! Parser: source text to [`Module`] plus diagnostics.
//!
//! Pipeline: [`lex`] (never fails) → lexer diagnostics → a cheap nesting check over the
//! tokens (so chumsky's recursion and the AST's depth stay bounded) → the chumsky grammar
//! in `grammar` (recovers at brackets and at item keywords) → `report` turns chumsky's
//! errors into friendly, coded [`Diagnostic`]s.
//!
//! Error codes (one per kind of problem):
//!
//! | code  | meaning |
//! |-------|---------|
//! | E0101 | a character that starts no token |
//! | E0102 | a string without its closing `"` (incomplete) |
//! | E0103 | a block comment without its closing `*/` (incomplete) |
//! | E0104 | brackets or operators nested too deeply |
//! | E0105 | the input ended in the middle of something (incomplete) |
//! | E0106 | a closing bracket with no opening one |
//! | E0107 | a closing bracket that does not match the open one |
//! | E0108 | an expression was expected |
//! | E0109 | a `:` was expected after a record key or argument name |
//! | E0110 | a `,` or a closing bracket was expected between elements |
//! | E0111 | a name (or record key) was expected |
//! | E0112 | a `=` was expected in `let` or `fn` |
//! | E0113 | a new item (`let`, `play`, `tempo`, …) was expected |
//! | E0114 | comparisons chained without `&&` (`a < b < c`) |
//! | E0115 | ranges chained (`a..b..c`) |
//! | E0116 | any other unexpected token |
//! | E0117 | a number too large for a 64-bit float |

mod grammar;
mod report;

use chumsky::error::Cheap;
use chumsky::input::Input as _;
use chumsky::prelude::*;

use crate::ast::Module;
use crate::diagnostic::Diagnostic;
use crate::span::{FileId, Span};
use crate::token::{lex, Token};

/// Deepest bracket nesting accepted.
pub const MAX_NESTING: usize = 128;

/// Most operators (and postfix calls) in one chain of an expression, counted across the
/// enclosing brackets: bounds the depth of the expression tree, which every later stage
/// walks recursively.
pub const MAX_CHAIN: usize = 1000;

/// Stack for the chumsky parse: ample for [`MAX_NESTING`] levels even in debug builds.
const PARSE_STACK: usize = 32 << 20;

/// Parse one file. Always returns a module (with `Error` nodes where it recovered).
pub fn parse(file: FileId, src: &str) -> (Module, Vec<Diagnostic>) {
    let sp = |r: std::ops::Range<usize>| Span::new(file, r.start, r.end);
    let mut diagnostics = Vec::new();
    let mut tokens: Vec<(Token, SimpleSpan)> = Vec::new();
    // Set when the lexer already reported that the input ends early; the parser's own
    // "ended early" error would only repeat it.
    let mut lexer_incomplete = false;
    let mut pending_error: Option<std::ops::Range<usize>> = None;

    for (tok, range) in lex(src) {
        if tok == Token::Error {
            // Report a run of unknown characters once.
            pending_error = Some(match pending_error.take() {
                Some(prev) if prev.end == range.start => prev.start..range.end,
                Some(prev) => {
                    diagnostics.push(report::unknown_chars(src, sp(prev)));
                    range.clone()
                }
                None => range.clone(),
            });
        } else if let Some(prev) = pending_error.take() {
            diagnostics.push(report::unknown_chars(src, sp(prev)));
        }
        match tok {
            Token::LineComment | Token::BlockComment => {}
            Token::UnterminatedComment => {
                lexer_incomplete = true;
                diagnostics.push(report::unterminated_comment(sp(range)));
            }
            Token::UnterminatedStr => {
                lexer_incomplete = true;
                diagnostics.push(report::unterminated_string(sp(range.clone())));
                tokens.push((Token::Str, range.into()));
            }
            tok => tokens.push((tok, range.into())),
        }
    }
    if let Some(prev) = pending_error.take() {
        diagnostics.push(report::unknown_chars(src, sp(prev)));
    }

    let (open, brackets) = match depth_check(&tokens) {
        Ok(found) => found,
        Err((span, kind)) => {
            diagnostics.push(report::too_deep(sp(span.into_range()), kind));
            return (Module::default(), diagnostics);
        }
    };

    let eoi: SimpleSpan = (src.len()..src.len()).into();
    // chumsky recurses once per bracket level, with large frames in debug builds; give it
    // a stack of its own (mapped lazily) rather than depend on the caller's thread.
    // Most parses succeed: try without building error values first (a long file in two
    // halves at once), and parse again for the messages only when that fails.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let fast = if tokens.len() >= SPLIT_TOKENS && cores >= 2 {
        parse_halves(&tokens, src, file)
    } else {
        stacker::grow(PARSE_STACK, || parse_cheap(&tokens, src, file))
    };
    let (module, errors) = match fast {
        Some(module) => (Some(module), Vec::new()),
        None => stacker::grow(PARSE_STACK, || {
            let input = tokens.as_slice().map(eoi, |(t, s)| (t, s));
            grammar::module::<_, Rich<'_, Token, SimpleSpan>>(src, file)
                .parse(input)
                .into_output_errors()
        }),
    };

    let ctx = report::Context {
        src,
        file,
        unclosed: open.map(|(t, s)| (t, sp(s.into_range()))),
        lexer_incomplete,
        brackets: &brackets,
        last: tokens.last().map(|(_, s)| sp(s.into_range())),
    };
    // `stop a,` is valid (trailing commas are allowed everywhere), but at the very end of
    // the input the user is most likely still typing: report it as incomplete.
    if errors.is_empty() && open.is_none() {
        if let Some((Token::Comma, span)) = tokens.last() {
            diagnostics.push(report::trailing_comma(sp(span.into_range())));
        }
    }
    let mut seen = std::collections::HashSet::new();
    for err in errors {
        if let Some(d) = report::from_rich(&ctx, err) {
            if seen.insert((d.code, d.span().map(|s| s.start))) {
                diagnostics.push(d);
            }
        }
    }
    for d in &mut diagnostics {
        for label in &mut d.labels {
            label.span = clamp(src, label.span);
        }
    }
    diagnostics.sort_by_key(|d| d.span().map(|s| (s.start, s.end)));
    (module.unwrap_or_default(), diagnostics)
}

/// Tokens from which a file is parsed in two halves on two threads (with two cores).
const SPLIT_TOKENS: usize = 4096;

/// The module of `tokens` if they parse without any error (no error values are built).
fn parse_cheap(tokens: &[(Token, SimpleSpan)], src: &str, file: FileId) -> Option<Module> {
    let end = tokens.last().map_or(0, |(_, s)| s.end);
    let input = tokens.map((end..end).into(), |(t, s)| (t, s));
    let parsed = grammar::module::<_, Cheap<SimpleSpan>>(src, file).parse(input);
    if parsed.has_errors() {
        return None;
    }
    parsed.into_output()
}

/// [`parse_cheap`] of a long file as two halves split between top-level items, the second
/// on a thread of its own: items are independent, so the two modules joined are the
/// whole file's. A split in the wrong place only makes a half fail, and the caller then
/// parses the whole file again.
fn parse_halves(tokens: &[(Token, SimpleSpan)], src: &str, file: FileId) -> Option<Module> {
    let cheap =
        |part: &[(Token, SimpleSpan)]| stacker::grow(PARSE_STACK, || parse_cheap(part, src, file));
    let Some(at) = item_boundary_near(tokens, src, tokens.len() / 2) else {
        return cheap(tokens);
    };
    let (first, second) = tokens.split_at(at);
    std::thread::scope(|scope| {
        let other = std::thread::Builder::new()
            .stack_size(PARSE_STACK)
            .spawn_scoped(scope, || parse_cheap(second, src, file));
        let Ok(other) = other else {
            // No thread to be had: parse the whole file here.
            return cheap(tokens);
        };
        let mut module = cheap(first)?;
        module.items.extend(other.join().ok()??.items);
        Some(module)
    })
}

/// The first token at or after `from` that starts a top-level item: an item keyword
/// outside brackets, first on its line and not after a `.` (a keyword used as a method
/// name). `None` if there is none.
fn item_boundary_near(tokens: &[(Token, SimpleSpan)], src: &str, from: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut prev: Option<(Token, SimpleSpan)> = None;
    for (i, &(tok, span)) in tokens.iter().enumerate() {
        if i >= from
            && depth == 0
            && grammar::ITEM_KEYWORDS.contains(&tok)
            && prev.is_some_and(|(p, ps)| {
                p != Token::Dot
                    && src
                        .get(ps.end..span.start)
                        .is_some_and(|gap| gap.contains('\n'))
            })
        {
            return Some(i);
        }
        match tok {
            Token::LParen | Token::LBracket | Token::LBrace => depth += 1,
            Token::RParen | Token::RBracket | Token::RBrace => depth = depth.saturating_sub(1),
            _ => {}
        }
        prev = Some((tok, span));
    }
    None
}

/// Keep a span inside `src`, ordered, on char boundaries (chumsky can produce an inverted
/// span at the end of input).
fn clamp(src: &str, span: Span) -> Span {
    let floor = |mut i: usize| {
        i = i.min(src.len());
        while i > 0 && !src.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let (a, b) = (span.start as usize, span.end as usize);
    Span::new(span.file, floor(a.min(b)), floor(a.max(b)))
}

/// What was nested too deeply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TooDeep {
    Brackets,
    Chain,
}

/// A closing bracket that does not close what is open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BracketProblem {
    /// Nothing is open.
    Unmatched,
    /// Something else is open (which, and where).
    Mismatched(Token, SimpleSpan),
}

/// Brackets still open at the end (innermost) and bad closers by start offset.
type Brackets = (Option<(Token, SimpleSpan)>, Vec<(usize, BracketProblem)>);

/// Check nesting before chumsky runs, and note the bracket structure for the messages.
fn depth_check(tokens: &[(Token, SimpleSpan)]) -> Result<Brackets, (SimpleSpan, TooDeep)> {
    let mut problems = Vec::new();
    let mut open: Vec<(Token, SimpleSpan)> = Vec::new();
    // Operators in the current chain at each bracket level, and their running total.
    let mut chain: Vec<usize> = vec![0];
    let mut total = 0usize;
    for &(tok, span) in tokens {
        match tok {
            Token::LParen | Token::LBracket | Token::LBrace => {
                link(&mut chain, &mut total);
                open.push((tok, span));
                chain.push(0);
                if open.len() > MAX_NESTING {
                    return Err((span, TooDeep::Brackets));
                }
            }
            Token::RParen | Token::RBracket | Token::RBrace => match open.pop() {
                Some((opener, opener_span)) => {
                    total -= chain.pop().unwrap_or(0);
                    let matches = matches!(
                        (opener, tok),
                        (Token::LParen, Token::RParen)
                            | (Token::LBracket, Token::RBracket)
                            | (Token::LBrace, Token::RBrace)
                    );
                    if !matches {
                        problems
                            .push((span.start, BracketProblem::Mismatched(opener, opener_span)));
                    }
                }
                None => problems.push((span.start, BracketProblem::Unmatched)),
            },
            Token::Comma | Token::Semi | Token::Colon => {
                if let Some(last) = chain.last_mut() {
                    total -= *last;
                    *last = 0;
                }
            }
            t if t.starts_item() && open.is_empty() => {
                chain = vec![0];
                total = 0;
            }
            Token::FatArrow
            | Token::EqEq
            | Token::NotEq
            | Token::Lt
            | Token::Le
            | Token::Gt
            | Token::Ge
            | Token::DotDot
            | Token::Plus
            | Token::Minus
            | Token::Star
            | Token::Slash
            | Token::Percent
            | Token::StarStar
            | Token::Bang
            | Token::AndAnd
            | Token::OrOr
            | Token::Dot => link(&mut chain, &mut total),
            _ => {}
        }
        if open.len() + total > MAX_CHAIN {
            return Err((span, TooDeep::Chain));
        }
    }
    Ok((open.last().copied(), problems))
}

fn link(chain: &mut [usize], total: &mut usize) {
    if let Some(last) = chain.last_mut() {
        *last += 1;
    }
    *total += 1;
}

#[cfg(test)]
mod halves_tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A long file of varied items: scenes with items inside braces, a keyword used as a
    /// method name at the start of a line, comments, `;`-separated items on one line.
    fn long_source(items: usize, broken_at: Option<usize>) -> String {
        let mut s = String::from("tempo 120\nscale dorian\n");
        for i in 0..items {
            if Some(i) == broken_at {
                s.push_str("let oops = (1 +\n");
            }
            match i % 5 {
                0 => s.push_str(&format!("let a{i} = seq([0, 2, {i}], inf) // a comment\n")),
                1 => s.push_str(&format!(
                    "play p{i} {{\n  degree: a{}.fast(2)\n    .scale(\"minor\"),\n  dur: 0.25,\n}}\n",
                    i - 1
                )),
                2 => s.push_str(&format!(
                    "scene s{i} {{\n  play q{i} {{ s: \"bd sn\" }}\n  tempo 120\n}}\n"
                )),
                3 => s.push_str(&format!("fn f{i}(x) = x + {i}; let b{i} = f{i}(1)\n")),
                _ => s.push_str(&format!("/* block */ stop p{}\n", i - 3)),
            }
        }
        s
    }

    fn tokens_of(src: &str) -> Vec<(Token, SimpleSpan)> {
        lex(src)
            .into_iter()
            .filter(|(t, _)| !matches!(t, Token::LineComment | Token::BlockComment))
            .map(|(t, r)| (t, r.into()))
            .collect()
    }

    #[test]
    fn a_long_file_parsed_in_halves_is_the_file_parsed_whole() {
        let src = long_source(600, None);
        let file = FileId(0);
        let tokens = tokens_of(&src);
        assert!(tokens.len() >= SPLIT_TOKENS);
        let at = item_boundary_near(&tokens, &src, tokens.len() / 2).unwrap();
        assert!(at < tokens.len());
        let whole = stacker::grow(PARSE_STACK, || parse_cheap(&tokens, &src, file)).unwrap();
        let halves = parse_halves(&tokens, &src, file).unwrap();
        assert_eq!(whole, halves);
        assert_eq!(parse(file, &src).0, whole);
    }

    #[test]
    fn an_error_in_either_half_is_reported_as_in_a_whole_parse() {
        for broken in [20, 580] {
            let src = long_source(600, Some(broken));
            let (_, diags) = parse(FileId(0), &src);
            assert!(
                diags.iter().any(|d| d.is_error()),
                "item {broken}: no error reported"
            );
        }
    }
}
