//! Turning lexer findings and chumsky's errors into friendly, coded diagnostics.
//!
//! chumsky reports "found X, expected one of {…}" plus the labelled contexts it was in;
//! here that becomes one of the codes listed in [`super`], written in the voice of a
//! helpful colleague, with an example of the right form in `help`.

use chumsky::error::{Rich, RichPattern, RichReason};
use chumsky::span::SimpleSpan;

use super::grammar::{ctx as c, want, TAG_SEP};
use super::{BracketProblem, TooDeep, MAX_CHAIN, MAX_NESTING};
use crate::diagnostic::Diagnostic;
use crate::span::{FileId, Span};
use crate::token::Token;

/// What the parser knows about the file besides chumsky's error.
pub(super) struct Context<'a> {
    pub src: &'a str,
    pub file: FileId,
    /// Innermost bracket still open at the end of the input.
    pub unclosed: Option<(Token, Span)>,
    /// The lexer already reported an unterminated string or comment.
    pub lexer_incomplete: bool,
    /// Closing brackets that match nothing or the wrong thing, by start offset.
    pub brackets: &'a [(usize, BracketProblem)],
    /// The last token, where "the input ended" is reported.
    pub last: Option<Span>,
}

impl Context<'_> {
    fn span(&self, s: SimpleSpan) -> Span {
        Span::new(self.file, s.start, s.end)
    }
}

pub(super) fn unknown_chars(src: &str, span: Span) -> Diagnostic {
    let text = src.get(span.range()).unwrap_or("");
    let many = text.chars().count() > 1;
    Diagnostic::error(
        "E0101",
        if many {
            format!("I don't understand the characters `{text}`")
        } else {
            format!("I don't understand the character `{text}`")
        },
        span,
    )
    .with_label(if many {
        "these are not part of patter"
    } else {
        "this is not part of patter"
    })
    .with_help(
        "remove it; mini-notation goes inside double quotes, like `seq(\"bd ~ sn\")`, \
         and comments start with `//`",
    )
}

pub(super) fn unterminated_string(span: Span) -> Diagnostic {
    let open = Span {
        end: span.start.saturating_add(1),
        ..span
    };
    Diagnostic::error("E0102", "this string is never closed", open)
        .with_label("the string starts here and runs to the end of the input")
        .with_help("close it with a `\"`, like `\"bd sn\"`")
        .incomplete()
}

pub(super) fn unterminated_comment(span: Span) -> Diagnostic {
    let open = Span {
        end: span.start.saturating_add(2).min(span.end),
        ..span
    };
    Diagnostic::error("E0103", "this block comment is never closed", open)
        .with_label("the comment starts here and runs to the end of the input")
        .with_help("close it with `*/`; block comments nest, so every `/*` needs its own `*/`")
        .incomplete()
}

pub(super) fn trailing_comma(span: Span) -> Diagnostic {
    Diagnostic::error("E0105", "the input ended after a `,`", span)
        .with_label("I was expecting another name after this")
        .with_help("add the next name, like `stop bass, drums`, or remove the `,`")
        .incomplete()
}

pub(super) fn too_deep(span: Span, kind: TooDeep) -> Diagnostic {
    match kind {
        TooDeep::Brackets => Diagnostic::error(
            "E0104",
            format!("brackets are nested more than {MAX_NESTING} deep"),
            span,
        )
        .with_label("this bracket is one too many")
        .with_help("give the inner parts names with `let`, like `let inner = [0, 2]`"),
        TooDeep::Chain => Diagnostic::error(
            "E0104",
            format!("this expression has more than {MAX_CHAIN} operators in a row"),
            span,
        )
        .with_label("I stopped counting here")
        .with_help("split it into smaller parts with `let`, like `let a = 1 + 2`"),
    }
}

/// What chumsky said it expected, simplified.
#[derive(PartialEq)]
enum Want<'a> {
    Tok(Token),
    Label(&'a str),
    End,
    Other,
}

fn wants<'a>(err: &'a Rich<'_, Token, SimpleSpan>) -> Vec<Want<'a>> {
    err.expected()
        .map(|p| match p {
            RichPattern::Token(t) => Want::Tok(**t),
            RichPattern::Label(l) => Want::Label(l.as_ref()),
            RichPattern::EndOfInput => Want::End,
            _ => Want::Other,
        })
        .collect()
}

fn describe(wants: &[Want<'_>]) -> String {
    let mut parts: Vec<String> = Vec::new();
    for w in wants {
        let text = match w {
            Want::Tok(t) => t.to_string(),
            Want::Label(l) => with_article(l),
            Want::End => "the end of the input".to_string(),
            Want::Other => continue,
        };
        if !parts.contains(&text) {
            parts.push(text);
        }
    }
    parts.sort();
    match parts.split_last() {
        None => "something else".to_string(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

fn with_article(label: &str) -> String {
    if label.starts_with('`') {
        return label.to_string();
    }
    match label.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => format!("an {label}"),
        _ => format!("a {label}"),
    }
}

/// `found` as the user wrote it.
fn found_text(src: &str, tok: Token, span: SimpleSpan) -> String {
    match tok {
        Token::Str => "a string".to_string(),
        Token::Num | Token::Ident => {
            let text = src.get(span.start..span.end).unwrap_or("");
            if text.chars().count() > 24 {
                tok.describe().to_string()
            } else {
                format!("`{text}`")
            }
        }
        tok => tok.to_string(),
    }
}

/// True for tokens that can begin an expression.
fn starts_expression(t: Token) -> bool {
    matches!(
        t,
        Token::Ident
            | Token::Num
            | Token::Str
            | Token::True
            | Token::False
            | Token::Rest
            | Token::Tilde
            | Token::LParen
            | Token::LBracket
            | Token::LBrace
            | Token::Minus
            | Token::Bang
    )
}

fn closer_of(open: Token) -> Token {
    match open {
        Token::LParen => Token::RParen,
        Token::LBracket => Token::RBracket,
        _ => Token::RBrace,
    }
}

/// An example of the right form for a context, for `help`.
fn example(context: &str) -> &'static str {
    match context {
        c::RECORD => "`{ degree: 0, dur: 0.5 }`",
        c::LIST => "`[0, 2, 4]`",
        c::ARGS => "`seq([0, 2, 4], repeats: 2)`",
        c::PARENS => "`(1 + 2) * 3`",
        c::PARAMS => "`fn twice(x) = x * 2`",
        c::LET => "`let melody = [0, 2, 4]`",
        c::FN => "`fn up(p, n) = p + n`",
        c::PLAY => "`play bass { degree: seq([0, 2, 4]) }`",
        c::SETTING => "`tempo 120`",
        c::IMPORT => "`import \"drums.pat\"`",
        c::NAMES => "`stop bass, drums`",
        c::SCENE => "`scene verse { play drums { s: \"bd sn\" } }`",
        c::ARRANGE => "`arrange verse 8, chorus 8`",
        c::LAUNCH => "`launch [verse, chorus] on timer(8)`",
        _ => "`play bass { degree: 0 }`",
    }
}

/// Convert one chumsky error; `None` when it only repeats what the lexer said.
pub(super) fn from_rich(cx: &Context<'_>, err: Rich<'_, Token, SimpleSpan>) -> Option<Diagnostic> {
    let span = *err.span();
    let contexts: Vec<(&str, SimpleSpan)> = err
        .contexts()
        .filter_map(|(p, s)| match p {
            RichPattern::Label(l) => Some((l.as_ref(), *s)),
            _ => None,
        })
        .collect();
    let inner = contexts.first().copied();
    let while_parsing = |d: Diagnostic| match inner {
        Some((label, s)) => d.with_secondary(cx.span(s), format!("while parsing this {label}")),
        None => d,
    };

    let found = match err.reason() {
        RichReason::Custom(msg) => {
            let mut parts = msg.split(TAG_SEP);
            let code = match parts.next() {
                Some("E0114") => "E0114",
                Some("E0115") => "E0115",
                Some("E0117") => "E0117",
                _ => "E0116",
            };
            let message = parts.next().unwrap_or(msg);
            let mut d = Diagnostic::error(code, message, cx.span(span));
            if let Some(label) = parts.next() {
                d = d.with_label(label);
            }
            if let Some(help) = parts.next() {
                d = d.with_help(help);
            }
            return Some(d);
        }
        RichReason::ExpectedFound { found, .. } => found.as_deref().copied(),
    };
    let wants = wants(&err);
    let has = |w: Want<'_>| wants.contains(&w);

    let Some(found) = found else {
        // The input ended too early: a REPL asks for another line.
        if cx.lexer_incomplete {
            return None;
        }
        let end = cx
            .last
            .unwrap_or_else(|| cx.span(SimpleSpan::from(cx.src.len()..cx.src.len())));
        let message = match inner {
            Some((label, _)) => format!("the input ended in the middle of this {label}"),
            None => "the input ended too early".to_string(),
        };
        let mut d = Diagnostic::error("E0105", message, end)
            .with_label(format!("I was expecting {} after this", describe(&wants)))
            .incomplete();
        match cx.unclosed {
            Some((open, open_span)) => {
                d = d
                    .with_secondary(open_span, format!("this {open} is never closed"))
                    .with_help(format!("close it with {}", closer_of(open)));
            }
            None => {
                d = while_parsing(d);
                if let Some((label, _)) = inner {
                    d = d.with_help(format!("finish it, like {}", example(label)));
                }
            }
        }
        return Some(d);
    };

    if found == Token::Error {
        return None;
    }
    let primary = cx.span(span);
    let found_str = found_text(cx.src, found, span);

    if let Ok(i) = cx.brackets.binary_search_by_key(&span.start, |(s, _)| *s) {
        if let Some((_, problem)) = cx.brackets.get(i) {
            return Some(match *problem {
                BracketProblem::Unmatched => Diagnostic::error(
                    "E0106",
                    format!("this {found} has no opening bracket"),
                    primary,
                )
                .with_label("nothing before it is left open")
                .with_help("remove it, or add the opening bracket it closes"),
                BracketProblem::Mismatched(open, open_span) => Diagnostic::error(
                    "E0107",
                    format!(
                        "I was expecting {} to close this {open}, but found {found}",
                        closer_of(open)
                    ),
                    primary,
                )
                .with_label(format!("expected {} here", closer_of(open)))
                .with_secondary(cx.span(open_span), format!("this {open} is still open"))
                .with_help("brackets close in the reverse order they open, like `f([0, 2])`"),
            });
        }
    }

    let key_or_name = has(Want::Label(want::KEY))
        || (has(Want::Label(want::NAME)) && inner.map(|(l, _)| l) == Some(c::RECORD));
    let d = if has(Want::Tok(Token::Colon)) && inner.map(|(l, _)| l) == Some(c::RECORD) {
        while_parsing(
            Diagnostic::error(
                "E0109",
                format!("I was expecting a `:` after this key, but found {found_str}"),
                primary,
            )
            .with_label("expected `:` here")
            .with_help(format!(
                "record entries are `key: value`, like {}",
                example(c::RECORD)
            )),
        )
    } else if has(Want::Label(want::EXPR)) {
        let mut d = Diagnostic::error(
            "E0108",
            format!("I was expecting an expression, but found {found_str}"),
            primary,
        )
        .with_label("expected an expression here");
        d = while_parsing(d);
        d.with_help(
            "an expression is a value like `0.5`, `\"bd sn\"`, `[0, 2, 4]`, \
             `{ degree: 0 }` or a call like `seq([0, 2])`",
        )
    } else if key_or_name {
        while_parsing(
            Diagnostic::error(
                "E0111",
                format!("I was expecting a record key, but found {found_str}"),
                primary,
            )
            .with_label("expected a key here")
            .with_help(format!(
                "keys are names or strings, like {}",
                example(c::RECORD)
            )),
        )
    } else if has(Want::Label(want::NAME)) || has(Want::Label(want::PATH)) {
        let ex = example(inner.map(|(l, _)| l).unwrap_or(""));
        let thing = if has(Want::Label(want::PATH)) {
            "a file path in double quotes"
        } else {
            "a name"
        };
        Diagnostic::error(
            "E0111",
            format!("I was expecting {thing}, but found {found_str}"),
            primary,
        )
        .with_label(format!("expected {thing} here"))
        .with_help(format!("write it like {ex}"))
    } else if has(Want::Tok(Token::Assign)) {
        let ex = inner.map(|(l, _)| example(l)).unwrap_or(example(c::LET));
        while_parsing(
            Diagnostic::error(
                "E0112",
                format!("I was expecting a `=`, but found {found_str}"),
                primary,
            )
            .with_label("expected `=` here")
            .with_help(format!("write it like {ex}")),
        )
    } else if let Some(close) = [Token::RParen, Token::RBracket, Token::RBrace]
        .into_iter()
        .find(|t| has(Want::Tok(*t)))
    {
        let ex = inner.map(|(l, _)| example(l)).unwrap_or(example(c::LIST));
        let commas = if has(Want::Tok(Token::Comma)) {
            format!("a `,` or {close}")
        } else {
            close.to_string()
        };
        while_parsing(
            Diagnostic::error(
                "E0110",
                format!("I was expecting {commas}, but found {found_str}"),
                primary,
            )
            .with_label(format!("expected {commas} here"))
            .with_help(format!("separate the elements with commas, like {ex}")),
        )
    } else if has(Want::Label(want::ITEM)) {
        Diagnostic::error(
            "E0113",
            format!("I was expecting a new item, but found {found_str}"),
            primary,
        )
        .with_label("expected `let`, `fn`, `play`, `stop`, `tempo`, … here")
        .with_help(if starts_expression(found) {
            "a value on its own does nothing: name it with `let melody = …`, or play it \
             with `play bass …`"
        } else {
            "each item starts with a keyword, like `let melody = [0, 2, 4]` or \
             `play bass { degree: 0 }`"
        })
    } else {
        while_parsing(
            Diagnostic::error(
                "E0116",
                format!("I wasn't expecting {found_str} here"),
                primary,
            )
            .with_label(format!("expected {}", describe(&wants))),
        )
    };
    Some(d)
}
