//! Property tests of the front end on hostile input: the lexer and parser never panic or
//! hang, every span lies on char boundaries inside the source, rendering never fails, and
//! deep nesting is refused with its own diagnostic instead of overflowing the stack.
#![allow(clippy::unwrap_used)]

use patter_lang::ast::{Arg, Expr, ExprKind, ItemKind, Module};
use patter_lang::parse::{parse, MAX_NESTING};
use patter_lang::token::lex;
use patter_lang::{FileId, Sources, Span};
use proptest::prelude::*;

fn check_span(src: &str, span: Span, what: &str) {
    let (a, b) = (span.start as usize, span.end as usize);
    assert!(
        a <= b && b <= src.len(),
        "{what} span {a}..{b} outside {}",
        src.len()
    );
    assert!(
        src.is_char_boundary(a) && src.is_char_boundary(b),
        "{what} span {a}..{b} splits a char"
    );
}

fn check_expr(src: &str, e: &Expr) {
    check_span(src, e.span, "expr");
    let args = |args: &[Arg]| {
        for a in args {
            if let Some(n) = &a.name {
                check_span(src, n.span, "arg name");
            }
            check_expr(src, &a.value);
        }
    };
    match &e.node {
        ExprKind::List(xs) => xs.iter().for_each(|x| check_expr(src, x)),
        ExprKind::Record(kv) => kv.iter().for_each(|(k, v)| {
            check_span(src, k.span, "key");
            check_expr(src, v);
        }),
        ExprKind::Call { callee, args: a } => {
            check_expr(src, callee);
            args(a);
        }
        ExprKind::Method {
            receiver,
            name,
            args: a,
        } => {
            check_expr(src, receiver);
            check_span(src, name.span, "method");
            args(a);
        }
        ExprKind::Binary { lhs, rhs, .. } => {
            check_expr(src, lhs);
            check_expr(src, rhs);
        }
        ExprKind::Unary { expr, .. } => check_expr(src, expr),
        ExprKind::Range { from, to } => {
            check_expr(src, from);
            check_expr(src, to);
        }
        ExprKind::Lambda { params, body } => {
            params.iter().for_each(|p| check_span(src, p.span, "param"));
            check_expr(src, body);
        }
        _ => {}
    }
}

fn check_module(src: &str, m: &Module) {
    for item in &m.items {
        check_span(src, item.span, "item");
        match &item.node {
            ItemKind::Let { name, value } => {
                check_span(src, name.span, "name");
                check_expr(src, value);
            }
            ItemKind::Fn { name, params, body } => {
                check_span(src, name.span, "name");
                params.iter().for_each(|p| check_span(src, p.span, "param"));
                check_expr(src, body);
            }
            ItemKind::Play { name, body } => {
                check_span(src, name.span, "name");
                check_expr(src, body);
            }
            ItemKind::Setting { value, .. } => check_expr(src, value),
            ItemKind::Import { path } => check_span(src, path.span, "path"),
            ItemKind::Stop(ns)
            | ItemKind::Mute(ns)
            | ItemKind::Unmute(ns)
            | ItemKind::Solo(ns)
            | ItemKind::Unsolo(ns) => ns.iter().for_each(|n| check_span(src, n.span, "name")),
            ItemKind::Scene { name, flag, items } => {
                check_span(src, name.span, "name");
                flag.iter().for_each(|f| check_span(src, f.span, "flag"));
                check_module(
                    src,
                    &Module {
                        items: items.clone(),
                    },
                );
            }
            ItemKind::Arrange { sections, .. } => {
                for (n, len) in sections {
                    check_span(src, n.span, "name");
                    check_expr(src, len);
                }
            }
            ItemKind::Launch {
                scenes, on, quant, ..
            } => {
                scenes.iter().for_each(|n| check_span(src, n.span, "name"));
                on.iter()
                    .chain(quant.iter())
                    .for_each(|e| check_expr(src, e));
            }
            ItemKind::Hush | ItemKind::Error => {}
        }
    }
}

/// Parse, check every span, render.
fn front_end(src: &str) -> Vec<patter_lang::Diagnostic> {
    for (_, range) in lex(src) {
        check_span(src, Span::new(FileId(0), range.start, range.end), "token");
    }
    let (module, diagnostics) = parse(FileId(0), src);
    check_module(src, &module);
    for d in &diagnostics {
        for l in &d.labels {
            check_span(src, l.span, d.code);
        }
    }
    let mut sources = Sources::default();
    sources.add("fuzz.pat", src);
    let _ = patter_lang::diagnostic::render(&diagnostics, &sources, false);
    diagnostics
}

const VOCAB: &[&str] = &[
    "let",
    "fn",
    "play",
    "stop",
    "hush",
    "mute",
    "unmute",
    "solo",
    "unsolo",
    "tempo",
    "cycle",
    "scale",
    "root",
    "seed",
    "import",
    "scene",
    "arrange",
    "launch",
    "on",
    "quant",
    "timer(1)",
    "groove",
    "humanize",
    "loop",
    "keep",
    "true",
    "false",
    "rest",
    "x",
    "bass",
    "seq",
    "0",
    "2.5",
    "1e3",
    "1e999",
    "\"bd sn\"",
    "\"",
    "\"é",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    ";",
    ".",
    "~",
    "=>",
    "=",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "..",
    "+",
    "-",
    "*",
    "/",
    "%",
    "**",
    "!",
    "&&",
    "||",
    "//c\n",
    "/*",
    "*/",
    "@",
    "é",
    "\n",
    "😀",
];

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec((prop::sample::select(VOCAB), prop::bool::ANY), 0..120).prop_map(
        |parts| {
            parts
                .into_iter()
                .map(|(tok, space)| {
                    if space {
                        format!("{tok} ")
                    } else {
                        tok.to_string()
                    }
                })
                .collect()
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_unicode_never_panics(src in any::<String>()) {
        front_end(&src);
    }

    #[test]
    fn token_soup_never_panics(src in soup()) {
        front_end(&src);
    }

    /// Rendering takes spans from every stage: any span, even a wild one, must render.
    #[test]
    fn rendering_any_span_never_panics(
        text in "(\\PC|\n|\r|\t){0,40}",
        spans in prop::collection::vec((0u32..50, 0u32..50, 0u32..3), 1..4),
    ) {
        let mut sources = Sources::default();
        sources.add("a.pat", text.clone());
        sources.add("b.pat", format!("{text}\n{text}"));
        let mut labels = spans.into_iter().map(|(a, b, f)| Span { file: FileId(f), start: a, end: b });
        let first = labels.next().unwrap();
        let mut d = patter_lang::Diagnostic::error("E0000", "wild", first).with_label("here");
        for l in labels {
            d = d.with_secondary(l, "there");
        }
        let out = patter_lang::diagnostic::render(&[d], &sources, false);
        prop_assert!(out.contains("E0000"));
    }

    /// Every prefix of a well-formed player is reported as incomplete, not wrong.
    #[test]
    fn truncated_programs_report_something(cut in 4usize..60) {
        let src = "play bass { degree: seq([0, 2, 4]), dur: 0.5 * (1 + 2) }";
        let cut = cut.min(src.len() - 1);
        let d = front_end(&src[..cut]);
        // Every prefix from the `play` keyword on ends in the middle of the item.
        prop_assert!(!d.is_empty());
        prop_assert!(d.iter().all(|d| d.incomplete));
    }
}

fn assert_too_deep(src: &str) {
    let d = front_end(src);
    assert!(
        d.iter().any(|d| d.code == "E0104"),
        "{:?}",
        d.iter().map(|d| d.code).collect::<Vec<_>>()
    );
}

#[test]
fn deep_nesting_is_refused() {
    assert_too_deep(&"(".repeat(100_000));
    assert_too_deep(&format!("let x = {}", "[".repeat(100_000)));
    assert_too_deep(&format!(
        "let x = {}1{}",
        "{a:".repeat(200),
        "}".repeat(200)
    ));
    assert_too_deep(&format!("let x = {}1", "-".repeat(100_000)));
    assert_too_deep(&format!("let x = {}1", "!".repeat(100_000)));
    assert_too_deep(&format!("let x = {}1", "x => ".repeat(100_000)));
    assert_too_deep(&format!("let x = 1{}", " ** 2".repeat(100_000)));
    assert_too_deep(&format!("let x = 1{}", " + 2".repeat(100_000)));
    assert_too_deep(&format!("let x = f{}", "()".repeat(100_000)));
    assert_too_deep(&format!("let x = p{}", ".m".repeat(100_000)));
}

#[test]
fn deepest_allowed_nesting_parses() {
    let src = format!(
        "let x = {}1{}",
        "(".repeat(MAX_NESTING - 1) + "[",
        "]".to_string() + &")".repeat(MAX_NESTING - 1)
    );
    let d = front_end(&src);
    assert!(d.is_empty(), "{d:#?}");
    // Many siblings are fine: only depth is limited.
    let wide = format!("let x = [{}]", "[1, 2], ".repeat(2_000));
    assert!(front_end(&wide).is_empty());
}

#[test]
fn huge_flat_programs_parse() {
    let src = "play p { degree: seq([0, 2, 4]), dur: 0.5 }\n".repeat(1_000);
    let (module, d) = parse(FileId(0), &src);
    assert!(d.is_empty());
    assert_eq!(module.items.len(), 1_000);
    // One diagnostic per run of unknown characters.
    let junk = "@#$ ".repeat(2_000);
    assert_eq!(front_end(&junk).len(), 2_000);
}
