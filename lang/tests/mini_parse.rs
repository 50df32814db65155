//! Mini-notation parser: the lowered structure of each construct, every diagnostic (as insta
//! snapshots of the source with carets under each label), and fuzzing: no input panics,
//! hangs, or produces a span outside the string or off a char boundary.
#![allow(clippy::unwrap_used)]

use std::fmt::Write as _;
use std::sync::Arc;

use patter_lang::mini::{self, codes};
use patter_lang::{Diagnostic, FileId, Span};
use patter_pattern::{Pat, PatRef};
use proptest::prelude::*;

/// Where the string's content starts in the pretend source file `s: "…"`.
const PREFIX: &str = "s: \"";

fn compile(text: &str) -> (PatRef, Vec<Diagnostic>) {
    let start = PREFIX.len();
    mini::compile(text, Span::new(FileId(3), start, start + text.len()))
}

/// The lowered tree of an error-free string, as Debug text.
fn tree(text: &str) -> String {
    let (pat, diags) = compile(text);
    assert!(diags.is_empty(), "{text:?}: {diags:#?}");
    format!("{pat:?}")
}

fn codes_of(text: &str) -> Vec<&'static str> {
    compile(text).1.iter().map(|d| d.code).collect()
}

/// The source line with a caret line under each label, then the help.
fn render(text: &str) -> String {
    let (_, diags) = compile(text);
    let source = format!("{PREFIX}{text}\"");
    let mut out = format!("{source}\n");
    for d in &diags {
        writeln!(out, "{:?}[{}]: {}", d.severity, d.code, d.message).unwrap();
        for (i, l) in d.labels.iter().enumerate() {
            let (s, e) = (l.span.start as usize, l.span.end as usize);
            assert_eq!(l.span.file, FileId(3));
            let col = source[..s].chars().count();
            let width = source[s..e].chars().count().max(1);
            let mark = if i == 0 { "^" } else { "-" };
            writeln!(
                out,
                "{}{} {}",
                " ".repeat(col),
                mark.repeat(width),
                l.message
            )
            .unwrap();
        }
        if let Some(h) = &d.help {
            writeln!(out, "  help: {h}").unwrap();
        }
        if d.incomplete {
            writeln!(out, "  (incomplete)").unwrap();
        }
    }
    out
}

// ----- structure -----

#[test]
fn sequences_are_weighted_timecats() {
    assert_eq!(
        tree("a b c"),
        "TimeCat([(1, Pure(a)), (1, Pure(b)), (1, Pure(c))])"
    );
    assert_eq!(tree("a@3 b"), "TimeCat([(3, Pure(a)), (1, Pure(b))])");
    assert_eq!(tree("a _ _ b"), "TimeCat([(3, Pure(a)), (1, Pure(b))])");
    assert_eq!(tree("a @ b @ @"), "TimeCat([(2, Pure(a)), (3, Pure(b))])");
    assert_eq!(
        tree("a@1.5 b@1%6"),
        "TimeCat([(3/2, Pure(a)), (1/6, Pure(b))])"
    );
    assert_eq!(tree("a@3@2 b"), "TimeCat([(4, Pure(a)), (1, Pure(b))])");
    // A one-step sequence is its step (timeCat of one compresses into the whole cycle).
    assert_eq!(tree("[[a]]"), "Pure(a)");
    assert_eq!(tree(""), "Silence");
    assert_eq!(tree(" \t\n "), "Silence");
    assert_eq!(tree("[]"), "Silence");
}

#[test]
fn feet_group_steps() {
    assert_eq!(
        tree("a . b c"),
        "TimeCat([(1, Pure(a)), (1, TimeCat([(1, Pure(b)), (1, Pure(c))]))])"
    );
    assert_eq!(tree("a . b c"), tree("a [b c]"));
}

#[test]
fn replication_shares_the_step() {
    assert_eq!(
        tree("a!3 b"),
        "TimeCat([(1, Pure(a)), (1, Pure(a)), (1, Pure(a)), (1, Pure(b))])"
    );
    assert_eq!(tree("a ! ! b"), tree("a!3 b"));
    assert_eq!(tree("a!3!"), tree("a!4"));
    assert_eq!(tree("a@2!2"), "TimeCat([(2, Pure(a)), (2, Pure(a))])");
    let (pat, _) = compile("[a b c d e f g h]!3");
    let Pat::TimeCat(items) = &*pat else {
        unreachable!("{pat:?}")
    };
    assert!(Arc::ptr_eq(&items[0].1, &items[2].1));
}

#[test]
fn words_and_numbers() {
    assert_eq!(
        tree("bd:3 f#3 eb5 a.b x_y c-1"),
        "TimeCat([(1, Pure(bd:3)), (1, Pure(f#3)), (1, Pure(eb5)), (1, Pure(a.b)), \
         (1, Pure(x_y)), (1, Pure(c-1))])"
    );
    let (pat, _) = compile("-1 1.5 1e3 1%4 007 1e3x");
    let Pat::TimeCat(items) = &*pat else {
        unreachable!("{pat:?}")
    };
    let values: Vec<String> = items
        .iter()
        .map(|(_, p)| match &**p {
            Pat::Pure(patter_pattern::Value::Num(x)) => format!("num {x}"),
            Pat::Pure(v) => format!("word {v:?}"),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        values,
        [
            "num -1",
            "num 1.5",
            "num 1000",
            "num 0.25",
            "num 7",
            "word 1e3x"
        ]
    );
}

#[test]
fn rests() {
    assert_eq!(
        tree("a ~ b"),
        "TimeCat([(1, Pure(a)), (1, Silence), (1, Pure(b))])"
    );
    assert_eq!(tree("- 2"), "TimeCat([(1, Silence), (1, Pure(2))])");
    assert_eq!(tree("-2"), "Pure(-2)");
    assert_eq!(
        tree("--~"),
        "TimeCat([(1, Silence), (1, Silence), (1, Silence)])"
    );
}

#[test]
fn stacks_and_choices() {
    assert_eq!(
        tree("a b, c"),
        "Stack([TimeCat([(1, Pure(a)), (1, Pure(b))]), Pure(c)])"
    );
    assert_eq!(tree("a b, c"), tree("[a b, c]"));
    assert_eq!(
        tree("a|b c"),
        "RandChoice { seed: 0, options: [Pure(a), TimeCat([(1, Pure(b)), (1, Pure(c))])] }"
    );
    // An empty alternative is a silent option and still counts in the choice.
    assert_eq!(
        tree("[a|]"),
        "RandChoice { seed: 0, options: [Pure(a), Silence] }"
    );
}

#[test]
fn alternation_and_polymeter() {
    assert_eq!(
        tree("<a b>"),
        "Fast { factor: Pure(0.5), pat: TimeCat([(1, Pure(a)), (1, Pure(b))]) }"
    );
    assert_eq!(tree("<a>"), "Pure(a)");
    assert_eq!(
        tree("<a b, c>"),
        "Stack([Fast { factor: Pure(0.5), pat: TimeCat([(1, Pure(a)), (1, Pure(b))]) }, Pure(c)])"
    );
    assert_eq!(
        tree("{a b, c d e}"),
        "Stack([TimeCat([(1, Pure(a)), (1, Pure(b))]), Fast { factor: Pure(0.6666666667), \
         pat: TimeCat([(1, Pure(c)), (1, Pure(d)), (1, Pure(e))]) }])"
    );
    assert_eq!(
        tree("{a b}%<2 4>"),
        "Fast { factor: App { op: Div, left: Fast { factor: Pure(0.5), pat: \
         TimeCat([(1, Pure(2)), (1, Pure(4))]) }, right: Pure(2) }, pat: \
         TimeCat([(1, Pure(a)), (1, Pure(b))]) }"
    );
    assert_eq!(tree("<>"), "Silence");
    assert_eq!(tree("{}%4"), "Silence");
}

#[test]
fn speed_factors() {
    assert_eq!(tree("a*2"), "Fast { factor: Pure(2), pat: Pure(a) }");
    assert_eq!(tree("a/2"), "Fast { factor: Pure(0.5), pat: Pure(a) }");
    assert_eq!(tree("a*3%2"), "Fast { factor: Pure(1.5), pat: Pure(a) }");
    assert_eq!(tree("a* 2"), tree("a*2"));
    assert_eq!(tree("a*-1"), "Fast { factor: Pure(-1), pat: Pure(a) }");
    assert_eq!(
        tree("a/<2 4>"),
        "Fast { factor: Map { op: Recip, pat: Fast { factor: Pure(0.5), pat: \
         TimeCat([(1, Pure(2)), (1, Pure(4))]) } }, pat: Pure(a) }"
    );
    assert_eq!(
        tree("a*[2 3]"),
        "Fast { factor: TimeCat([(1, Pure(2)), (1, Pure(3))]), pat: Pure(a) }"
    );
    assert_eq!(tree("a*1"), "Pure(a)");
    assert_eq!(tree("a*0"), "Silence");
    assert_eq!(tree("a/0"), "Silence");
    assert_eq!(
        tree("a*100000000"),
        "Fast { factor: Pure(100000000), pat: Pure(a) }"
    );
}

#[test]
fn euclid() {
    assert_eq!(
        tree("a(3,8)"),
        "Euclid { k: Pure(3), n: Pure(8), rot: Pure(0), pat: Pure(a), bool_gaps: false }"
    );
    assert_eq!(
        tree("a( 3 , 8 , 2 )"),
        "Euclid { k: Pure(3), n: Pure(8), rot: Pure(2), pat: Pure(a), bool_gaps: false }"
    );
    assert_eq!(
        tree("a(<3 5>,8)"),
        "Euclid { k: Fast { factor: Pure(0.5), pat: TimeCat([(1, Pure(3)), (1, Pure(5))]) }, \
         n: Pure(8), rot: Pure(0), pat: Pure(a), bool_gaps: false }"
    );
    assert_eq!(tree("a(5,0)"), "Silence");
    assert_eq!(tree("a(0,8)"), "Silence");
}

#[test]
fn postfix_order_is_left_to_right() {
    // Tidal's canonical order `atom ? * / (k,n,r) ?`.
    assert_eq!(
        tree("a?*2(3,8)?"),
        "Degrade { amount: Pure(0.5), seed: 1, invert: false, pat: Euclid { k: Pure(3), \
         n: Pure(8), rot: Pure(0), pat: Fast { factor: Pure(2), pat: Degrade { amount: \
         Pure(0.5), seed: 0, invert: false, pat: Pure(a) } }, bool_gaps: false } }"
    );
}

#[test]
fn seeds_in_parse_order() {
    // A `|` group takes its seed after its alternatives (Tidal's `chooseTail`).
    let t = tree("[a|b] c? [d?|e]?0.3");
    let seeds: Vec<&str> = t
        .match_indices("seed: ")
        .map(|(i, _)| &t[i + 6..i + 7])
        .collect();
    assert!(t.starts_with("TimeCat([(1, RandChoice { seed: 0"), "{t}");
    assert!(t.contains("seed: 1, invert: false, pat: Pure(c)"), "{t}");
    assert!(t.contains("seed: 2, invert: false, pat: Pure(d)"), "{t}");
    assert!(t.contains("amount: Pure(0.3), seed: 4"), "{t}");
    assert!(t.contains("RandChoice { seed: 3"), "{t}");
    assert_eq!(seeds.len(), 5);
}

#[test]
fn trailing_degrade_applies_to_the_sequence() {
    // Tidal's `pSequence` ends with `pRand`: `a!8?` is `[a!8]?`.
    assert_eq!(tree("a!8?"), tree("[a!8]?"));
    assert_eq!(tree("a*4@0.25?"), tree("[a*4@0.25]?"));
    assert_eq!(
        tree("[a b ?0.3]"),
        "Degrade { amount: Pure(0.3), seed: 0, invert: false, pat: TimeCat([(1, Pure(a)), \
         (1, Pure(b))]) }"
    );
    // As one step of weight 1, so `<a b ?>` fits its sequence into one cycle, as in Tidal.
    assert_eq!(
        tree("<a b ?>"),
        "Degrade { amount: Pure(0.5), seed: 0, invert: false, pat: TimeCat([(1, Pure(a)), \
         (1, Pure(b))]) }"
    );
    // Seeds inside the sequence come first.
    assert!(tree("a? b ?").starts_with("Degrade { amount: Pure(0.5), seed: 1"));
}

#[test]
fn ranges() {
    assert_eq!(tree("0 .. 4"), "Range { from: Pure(0), to: Pure(4) }");
    // Between numbers `..` needs no spaces (Tidal's numeric parsers); elsewhere `.` is
    // part of a word.
    assert_eq!(tree("0..4"), tree("0 .. 4"));
    assert_eq!(tree("0.5..-2"), "Range { from: Pure(0.5), to: Pure(-2) }");
    assert_eq!(tree("a..b"), "Pure(a..b)");
    assert_eq!(
        tree("0 .. 3 4"),
        "TimeCat([(1, Range { from: Pure(0), to: Pure(3) }), (1, Pure(4))])"
    );
    assert_eq!(
        tree("0 .. <2 4>@2"),
        "Range { from: Pure(0), to: Fast { factor: Pure(0.5), pat: TimeCat([(1, Pure(2)), \
         (1, Pure(4))]) } }"
    );
}

// ----- diagnostics -----

/// Every diagnostic kind, each in a small string; one snapshot per case.
const CASES: &[(&str, &str)] = &[
    ("unexpected_char", "a $ b"),
    ("unexpected_run", "a $$é b"),
    ("chord_quote", "c'maj e"),
    ("caret_var", "^foo a"),
    ("leading_dot_number", "a .5"),
    ("unclosed_bracket", "a [b c"),
    ("unclosed_inside_other", "<a [b c> d"),
    ("unclosed_brace", "{a b"),
    ("unclosed_euclid", "a(3,8"),
    ("unmatched_close", "a b] c"),
    ("unmatched_angle", "a > b"),
    ("missing_factor_end", "a*"),
    ("missing_factor_word", "a*c b"),
    ("missing_divisor", "[a b]/ ]"),
    ("missing_steps", "{a b}%"),
    ("ratio_with_decimal", "a@1.5%2 b"),
    ("ratio_zero", "a*1%0"),
    ("number_too_large", "a*1e999"),
    ("repeat_zero", "a!0 b"),
    ("repeat_too_many", "a!5000"),
    ("weight_negative", "a@-1 b"),
    ("weight_zero", "a@0 b"),
    ("mixed_stack_choice", "a, b | c"),
    ("mixed_choice_stack", "[a | b, c]"),
    ("choice_in_angles", "<a | b>"),
    ("choice_in_euclid", "a(3|5,8)"),
    ("euclid_one_arg", "a(3)"),
    ("euclid_four_args", "a(3,8,1,2)"),
    ("euclid_empty_arg", "a(,8)"),
    ("nothing_before_repeat", "!a"),
    ("nothing_before_weight", "@2 a"),
    ("nothing_before_fast", "*2 a"),
    ("nothing_before_after_foot", "a . ! b"),
    ("nothing_before_range", ".. 3"),
    ("nothing_before_euclid", "(3,8)"),
    ("detached_fast", "a *2"),
    ("detached_euclid", "bd (3,8)"),
    ("detached_degrade", "a ? b"),
    ("operator_after_repeat", "a!2*2 b"),
    ("empty_foot_start", ". a b"),
    ("empty_foot_end", "a b ."),
    ("empty_foot_double", "a . . b"),
    ("range_without_end", "0 .."),
    ("range_chained", "0 .. 2 .. 4"),
    ("percent_after_word", "a%2 b"),
    ("percent_detached", "{a b} %3"),
    (
        "too_many_operators",
        "a*2*2*2*2*2*2*2*2*2*2*2*2*2*2*2*2*2*2",
    ),
    ("several_errors", "a $ [b c!0 e*] <f | g> [h"),
    ("multibyte", "é [ü"),
];

#[test]
fn diagnostic_snapshots() {
    let mut seen = std::collections::BTreeSet::new();
    for (name, text) in CASES {
        let (_, diags) = compile(text);
        assert!(!diags.is_empty(), "{name}: {text:?} gave no diagnostic");
        seen.extend(diags.iter().map(|d| d.code));
        insta::assert_snapshot!(format!("mini_{name}"), render(text), text);
    }
    // Too deep and too many steps are checked below; every other code has a case.
    for code in [
        codes::UNEXPECTED_CHAR,
        codes::UNCLOSED,
        codes::UNMATCHED_CLOSE,
        codes::MISSING_FACTOR,
        codes::BAD_NUMBER,
        codes::BAD_REPEAT,
        codes::BAD_WEIGHT,
        codes::MIXED_STACK_CHOICE,
        codes::MISPLACED_CHOICE,
        codes::BAD_EUCLID,
        codes::NOTHING_BEFORE,
        codes::DETACHED_OPERATOR,
        codes::EMPTY_FOOT,
        codes::BAD_RANGE,
        codes::MISPLACED_PERCENT,
        codes::TOO_MANY_OPERATORS,
    ] {
        assert!(seen.contains(code), "no case for {code}");
    }
}

#[test]
fn each_case_reports_its_own_code() {
    assert_eq!(codes_of("a $ b"), [codes::UNEXPECTED_CHAR]);
    assert_eq!(codes_of("a [b c"), [codes::UNCLOSED]);
    assert_eq!(codes_of("a b] c"), [codes::UNMATCHED_CLOSE]);
    assert_eq!(codes_of("a*"), [codes::MISSING_FACTOR]);
    assert_eq!(codes_of("a*1%0"), [codes::BAD_NUMBER]);
    assert_eq!(codes_of("a b ?1%0"), [codes::BAD_NUMBER]);
    assert_eq!(codes_of("a?1%0 b"), [codes::BAD_NUMBER]);
    assert_eq!(codes_of("a!0"), [codes::BAD_REPEAT]);
    assert_eq!(codes_of("a@0"), [codes::BAD_WEIGHT]);
    assert_eq!(codes_of("a, b | c"), [codes::MIXED_STACK_CHOICE]);
    assert_eq!(codes_of("<a | b>"), [codes::MISPLACED_CHOICE]);
    assert_eq!(codes_of("a(3)"), [codes::BAD_EUCLID]);
    assert_eq!(codes_of("!a"), [codes::NOTHING_BEFORE]);
    assert_eq!(codes_of("a *2"), [codes::DETACHED_OPERATOR]);
    assert_eq!(codes_of("a ? b"), [codes::DETACHED_OPERATOR]);
    assert_eq!(codes_of("a ."), [codes::EMPTY_FOOT]);
    assert_eq!(codes_of("0 .."), [codes::BAD_RANGE]);
    assert_eq!(codes_of("a%2"), [codes::MISPLACED_PERCENT]);
    // Recovery: independent errors in one string are all reported, in order.
    assert_eq!(
        codes_of("a $ [b c!0 e*] <f | g> [h"),
        [
            codes::UNEXPECTED_CHAR,
            codes::BAD_REPEAT,
            codes::MISSING_FACTOR,
            codes::MISPLACED_CHOICE,
            codes::UNCLOSED
        ]
    );
}

#[test]
fn recovery_keeps_the_rest_of_the_pattern() {
    let (pat, diags) = compile("a [b c");
    assert_eq!(diags.len(), 1);
    assert_eq!(
        format!("{pat:?}"),
        "TimeCat([(1, Pure(a)), (1, TimeCat([(1, Pure(b)), (1, Pure(c))]))])"
    );
    let (pat, _) = compile("a $ b");
    assert_eq!(format!("{pat:?}"), "TimeCat([(1, Pure(a)), (1, Pure(b))])");
}

#[test]
fn nesting_is_bounded() {
    let ok = format!(
        "{}a{}",
        "[".repeat(mini::MAX_DEPTH),
        "]".repeat(mini::MAX_DEPTH)
    );
    assert!(compile(&ok).1.is_empty());
    let deep = format!("{}a{} b", "[".repeat(100), "]".repeat(100));
    let (pat, diags) = compile(&deep);
    assert_eq!(
        diags.iter().map(|d| d.code).collect::<Vec<_>>(),
        [codes::TOO_DEEP]
    );
    assert!(format!("{pat:?}").contains("Pure(b)"));
    insta::assert_snapshot!("mini_too_deep", render("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[a]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"));
    // Unclosed and mixed openers, a hundred thousand deep: no stack overflow.
    for open in ["[", "<", "{", "a(", "a*["] {
        let text = open.repeat(100_000);
        let (_, diags) = compile(&text);
        assert!(diags.iter().any(|d| d.code == codes::TOO_DEEP), "{open}");
        assert!(
            diags.len() <= mini::MAX_DEPTH + 2,
            "{open}: {}",
            diags.len()
        );
    }
}

#[test]
fn replication_is_bounded() {
    let (pat, diags) = compile("a!100000000");
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].code, codes::BAD_REPEAT);
    assert_eq!(format!("{pat:?}"), "Pure(a)");
    let many = "a!1000 ".repeat(20);
    let (_, diags) = compile(&many);
    assert_eq!(
        diags.iter().map(|d| d.code).collect::<Vec<_>>(),
        [codes::TOO_MANY_STEPS]
    );
    insta::assert_snapshot!("mini_too_many_steps", render(&many));
}

#[test]
fn spans_point_into_the_string() {
    let (_, diags) = compile("ab $ c");
    let span = diags[0].span().unwrap();
    assert_eq!(span.file, FileId(3));
    assert_eq!(span.range(), PREFIX.len() + 3..PREFIX.len() + 4);
}

// ----- fuzzing -----

/// Checks the promises for one input: no panic (implicit), every span inside the content
/// and on char boundaries of the source.
fn check_spans(text: &str) -> Result<(), TestCaseError> {
    let source = format!("{PREFIX}{text}\"");
    let (start, end) = (PREFIX.len(), PREFIX.len() + text.len());
    let (_, diags) = compile(text);
    for (i, d) in diags.iter().enumerate() {
        // A look-ahead that reports would show up as the same diagnostic twice.
        prop_assert!(!diags[..i].contains(d), "{:?} twice for {:?}", d, text);
        prop_assert!(!d.labels.is_empty());
        prop_assert!(d.code.starts_with("E02"), "{}", d.code);
        for l in &d.labels {
            let (s, e) = (l.span.start as usize, l.span.end as usize);
            prop_assert!(
                start <= s && s <= e && e <= end,
                "{:?} in {:?}",
                l.span,
                text
            );
            prop_assert!(source.is_char_boundary(s) && source.is_char_boundary(e));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn mini_alphabet_never_panics(text in r"[ab0-9~\-\[\]<>{}(),|.!@_*/?%: #'$é\t]{0,48}") {
        check_spans(&text)?;
    }

    #[test]
    fn any_text_never_panics(text in r"\PC{0,64}") {
        check_spans(&text)?;
    }

    #[test]
    fn bracket_soup_never_panics(text in r"[\[\]<>{}(),|a *2%!.?@]{0,300}") {
        check_spans(&text)?;
    }
}

#[test]
fn large_inputs_finish() {
    // Work is linear in the input: a few hundred kilobytes of mixed, mostly broken text
    // compiles (this test would time out, not fail, if it did not).
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let alphabet: Vec<char> = "ab1 ~-[]<>{}(),|.!@_*/?%$é".chars().collect();
    let mut text = String::new();
    for _ in 0..200_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        text.push(alphabet[(x % alphabet.len() as u64) as usize]);
    }
    let (_, diags) = compile(&text);
    assert!(!diags.is_empty());
    let long = "bd*2 [sn cp]? <hh oh>(3,8) ".repeat(10_000);
    let (_, diags) = compile(&long);
    assert!(diags.is_empty());
}

#[test]
fn decimal_factors_are_exact() {
    // `Time::from_f64` would round 1e-8 to zero and silence the step.
    assert_eq!(
        tree("a/0.00000001"),
        "Fast { factor: Pure(100000000), pat: Pure(a) }"
    );
    assert_eq!(
        tree("a@2.5e-1 b"),
        "TimeCat([(1/4, Pure(a)), (1, Pure(b))])"
    );
    assert_eq!(tree("a@1e1 b"), "TimeCat([(10, Pure(a)), (1, Pure(b))])");
}
