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
    let (module, errors) = stacker::grow(PARSE_STACK, || {
        let input = || tokens.as_slice().map(eoi, |(t, s)| (t, s));
        // Most parses succeed: try without building error values first.
        let fast = grammar::module::<_, Cheap<SimpleSpan>>(src, file).parse(input());
        if !fast.has_errors() {
            return (fast.into_output(), Vec::new());
        }
        grammar::module::<_, Rich<'_, Token, SimpleSpan>>(src, file)
            .parse(input())
            .into_output_errors()
    });

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
