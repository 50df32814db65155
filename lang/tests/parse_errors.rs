//! Parse errors: one snapshot per diagnostic code (source and rendering together, colour
//! off), recovery with several errors in one pass, and incomplete-versus-wrong detection.
#![allow(clippy::unwrap_used)]

use patter_lang::ast::ItemKind;
use patter_lang::parse::parse;
use patter_lang::{Diagnostic, FileId, Sources};

fn diagnose(src: &str) -> Vec<Diagnostic> {
    parse(FileId(0), src).1
}

/// The source, then each diagnostic rendered without colour.
fn report(src: &str) -> String {
    let mut sources = Sources::default();
    let file = sources.add("test.pat", src);
    let (_, diagnostics) = parse(file, src);
    let rendered = patter_lang::diagnostic::render(&diagnostics, &sources, false);
    let flags: Vec<String> = diagnostics
        .iter()
        .map(|d| format!("{} incomplete={}", d.code, d.incomplete))
        .collect();
    format!(
        "SOURCE:\n{src}\n\nDIAGNOSTICS: {}\n{rendered}",
        flags.join(", ")
    )
}

macro_rules! code_case {
    ($name:ident, $code:literal, $src:expr) => {
        #[test]
        fn $name() {
            let src: &str = $src;
            let codes: Vec<&str> = diagnose(src).iter().map(|d| d.code).collect();
            assert_eq!(codes, vec![$code], "{src:?}");
            insta::assert_snapshot!(concat!($code, "_", stringify!($name)), report(src));
        }
    };
}

code_case!(unknown_character, "E0101", "let x = 1 @ 2");
code_case!(unterminated_string, "E0102", "play drums \"bd sn");
code_case!(
    unterminated_comment,
    "E0103",
    "tempo 120\n/* a /* nested */ comment"
);
code_case!(too_deep, "E0104", &format!("let x = {}", "[".repeat(200)));
code_case!(
    ended_early,
    "E0105",
    "play bass {\n  degree: seq([0, 2, 4]),\n"
);
code_case!(unmatched_closer, "E0106", "let x = 1 + 2 ]\nlet y = 3");
code_case!(
    mismatched_closer,
    "E0107",
    "play bass { degree: seq([0, 2) }"
);
code_case!(
    expected_expression,
    "E0108",
    "play bass { degree: , dur: 1 }"
);
code_case!(expected_colon, "E0109", "play bass { degree 0, dur: 1 }");
code_case!(expected_comma, "E0110", "let notes = [0 2 4]");
code_case!(expected_name, "E0111", "play { degree: 0 }");
code_case!(expected_key, "E0111", "play bass { 0: 1 }");
code_case!(expected_path, "E0111", "import drums");
code_case!(expected_assign, "E0112", "let melody [0, 2, 4]");
code_case!(expected_item, "E0113", "bass { degree: 0 }");
code_case!(chained_comparison, "E0114", "let x = 0 < y < 7");
code_case!(chained_range, "E0115", "let x = 0..3..7");
code_case!(unexpected_token, "E0116", "fn twice x = x * 2");
code_case!(number_too_large, "E0117", "tempo 1e999");

#[test]
fn recovery_reports_independent_errors_and_keeps_good_items() {
    let src = "tempo 120\n\
               play bass { degree 0, dur: 1 }\n\
               let melody = [0, 2, 4]\n\
               play lead { degree: melody, dur: }\n\
               play drums \"bd sn\"\n";
    let (module, diagnostics) = parse(FileId(0), src);
    let codes: Vec<&str> = diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, vec!["E0109", "E0108"]);
    let kinds: Vec<&str> = module
        .items
        .iter()
        .map(|i| match &i.node {
            ItemKind::Setting { .. } => "setting",
            ItemKind::Let { .. } => "let",
            ItemKind::Play { .. } => "play",
            ItemKind::Error => "error",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, vec!["setting", "play", "let", "play", "play"]);
    insta::assert_snapshot!("recovery_two_players", report(src));
}

#[test]
fn recovery_at_item_keywords() {
    let src = "let a = ) 1\nlet b = 2\nstop ]\nhush";
    let (module, diagnostics) = parse(FileId(0), src);
    assert_eq!(diagnostics.len(), 2, "{diagnostics:#?}");
    assert!(diagnostics.iter().all(|d| !d.incomplete));
    let good = module
        .items
        .iter()
        .filter(|i| matches!(i.node, ItemKind::Let { .. } | ItemKind::Hush))
        .count();
    assert_eq!(good, 2);
}

#[test]
fn unknown_characters_are_reported_once_per_run() {
    let d = diagnose("let x = 1 @@@ + 2 # 3");
    let codes: Vec<&str> = d.iter().map(|d| d.code).collect();
    assert_eq!(codes, vec!["E0101", "E0101"]);
}

/// Input a REPL should continue on the next line.
#[test]
fn incomplete_inputs() {
    for src in [
        "play bass {",
        "play bass { degree: seq([0, 2",
        "let x = (1 +",
        "let s = \"bd sn",
        "/* unfinished",
        "let x = 1 +",
        "let x =",
        "let x = f(1,",
        "stop a,",
        "play bass",
        "fn f(a, b) =",
        "let y = x =>",
        "tempo 120 let a = [1, 2,",
    ] {
        let d = diagnose(src);
        assert!(!d.is_empty(), "{src:?}");
        assert!(d.iter().all(|d| d.incomplete), "{src:?}: {d:#?}");
    }
}

/// Input that is wrong however it continues.
#[test]
fn wrong_inputs_are_not_incomplete() {
    for src in [
        "play bass { degree 0 }",
        "let x = 1 )",
        "let x = [1 2]",
        "let = 1",
        "bass",
        "let x = 1 @",
        "play bass { degree: (0] }",
        "let x = 0 < 1 < 2",
        "import drums",
        "tempo 1e999",
    ] {
        let d = diagnose(src);
        assert!(!d.is_empty(), "{src:?}");
        assert!(d.iter().all(|d| !d.incomplete), "{src:?}: {d:#?}");
    }
}

#[test]
fn wrong_then_incomplete_keeps_both() {
    let d = diagnose("let x = [1 2]\nplay bass {");
    assert_eq!(d.len(), 2);
    assert!(!d[0].incomplete);
    assert!(d[1].incomplete);
}

#[test]
fn rendering_with_colour_has_escapes_and_without_has_none() {
    let mut sources = Sources::default();
    let file = sources.add("a.pat", "let x = [1 2]");
    let (_, d) = parse(file, "let x = [1 2]");
    let plain = patter_lang::diagnostic::render(&d, &sources, false);
    let coloured = patter_lang::diagnostic::render(&d, &sources, true);
    assert!(!plain.contains('\u{1b}'));
    assert!(coloured.contains('\u{1b}'));
}

#[test]
fn rendering_names_each_file() {
    let mut sources = Sources::default();
    let a = sources.add("main.pat", "let x = 1 @");
    let b = sources.add("drums.pat", "play d {");
    let mut d = parse(a, "let x = 1 @").1;
    d.extend(parse(b, "play d {").1);
    let out = patter_lang::diagnostic::render(&d, &sources, false);
    assert!(
        out.contains("main.pat") && out.contains("drums.pat"),
        "{out}"
    );
}
