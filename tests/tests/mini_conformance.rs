//! Mini-notation conformance: the rows of `shared/reference/mini-notation.md` (§3 operator
//! table, Tidal column; §4 Bjorklund table; §5 Tidal randomness; §8 layer-3 properties),
//! asserted as exact onset events after compiling with `patter_lang::mini` and querying with
//! the pattern engine.
//!
//! Expected events are written in the reference's own notation, `v@[b,e)`, so each test reads
//! like its table row.
#![allow(clippy::unwrap_used)]

use patter_lang::{mini, FileId, Span};
use patter_pattern::{Budget, Hap, PatRef, Time, TimeSpan};
use proptest::prelude::*;

/// One onset: whole begin, whole end, value as text.
type Ev = (Time, Time, String);

fn compile(text: &str) -> PatRef {
    let (pat, diags) = mini::compile(text, Span::new(FileId(0), 0, text.len()));
    assert!(diags.is_empty(), "{text:?} gave diagnostics: {diags:#?}");
    pat
}

fn query(pat: &PatRef, begin: Time, end: Time) -> Vec<Hap> {
    let mut out = Vec::new();
    pat.query(
        TimeSpan::new(begin, end),
        &mut Budget::new(10_000_000),
        &mut out,
    )
    .unwrap();
    out
}

fn sorted(mut v: Vec<Ev>) -> Vec<Ev> {
    v.sort();
    v
}

fn onsets_in(pat: &PatRef, begin: Time, end: Time) -> Vec<Ev> {
    sorted(
        query(pat, begin, end)
            .into_iter()
            .filter(Hap::has_onset)
            .map(|h| {
                let w = h.whole.unwrap();
                (w.begin, w.end, format!("{:?}", h.value))
            })
            .collect(),
    )
}

/// The onset events of `text` in cycles `[0, cycles)`, sorted.
fn onsets(text: &str, cycles: i64) -> Vec<Ev> {
    onsets_in(&compile(text), Time::ZERO, Time::int(cycles))
}

/// Onsets of one cycle.
fn cycle(text: &str, c: i64) -> Vec<Ev> {
    onsets_in(&compile(text), Time::int(c), Time::int(c + 1))
}

fn time(s: &str) -> Time {
    match s.split_once('/') {
        Some((n, d)) => Time::new(n.parse().unwrap(), d.parse().unwrap()),
        None => Time::int(s.parse().unwrap()),
    }
}

/// Parse `"a@[0,1/3) b@[1/3,2/3)"` into events.
fn ev(s: &str) -> Vec<Ev> {
    sorted(
        s.split_whitespace()
            .map(|e| {
                let (v, span) = e.split_once("@[").unwrap();
                let (b, rest) = span.split_once(',').unwrap();
                let end = rest.strip_suffix(')').unwrap();
                (time(b), time(end), v.to_string())
            })
            .collect(),
    )
}

/// Two mini strings give the same onsets over `cycles` cycles.
fn same(a: &str, b: &str, cycles: i64) {
    assert_eq!(onsets(a, cycles), onsets(b, cycles), "{a:?} vs {b:?}");
}

/// Shift events by whole cycles.
fn shifted(evs: Vec<Ev>, by: i64) -> Vec<Ev> {
    evs.into_iter()
        .map(|(b, e, v)| (b + Time::int(by), e + Time::int(by), v))
        .collect()
}

/// Onset steps (out of `n`) in cycle 0 as an `x.` mask.
fn mask(text: &str, n: i64) -> String {
    let evs = cycle(text, 0);
    (0..n)
        .map(|i| {
            if evs.iter().any(|(b, _, _)| *b == Time::new(i, n)) {
                'x'
            } else {
                '.'
            }
        })
        .collect()
}

// ----- §3: sequences, rests, nesting, feet, stacks -----

#[test]
fn sequence() {
    let c0 = ev("a@[0,1/3) b@[1/3,2/3) c@[2/3,1)");
    assert_eq!(cycle("a b c", 0), c0);
    for n in 1..4 {
        assert_eq!(cycle("a b c", n), shifted(c0.clone(), n));
    }
}

#[test]
fn rests() {
    let want = ev("a@[0,1/3) b@[2/3,1)");
    assert_eq!(cycle("a ~ b", 0), want);
    assert_eq!(cycle("a - b", 0), want);
    same("- 2", "~ 2", 2);
    same("[-- 2 <-- 3>]", "[~~ 2 <~~ 3>]", 2);
}

#[test]
fn subsequence() {
    assert_eq!(cycle("a [b c]", 0), ev("a@[0,1/2) b@[1/2,3/4) c@[3/4,1)"));
}

#[test]
fn nesting() {
    assert_eq!(
        cycle("c3 [d3 [e3 f3]]", 0),
        ev("c3@[0,1/2) d3@[1/2,3/4) e3@[3/4,7/8) f3@[7/8,1)")
    );
}

#[test]
fn feet() {
    assert_eq!(cycle("a . b c", 0), ev("a@[0,1/2) b@[1/2,3/4) c@[3/4,1)"));
    same("a . b c", "a [b c]", 2);
    assert_eq!(
        cycle("a . b c . d e f", 0),
        ev("a@[0,1/3) b@[1/3,1/2) c@[1/2,2/3) d@[2/3,7/9) e@[7/9,8/9) f@[8/9,1)")
    );
}

#[test]
fn stack() {
    let want = ev("a@[0,1/2) b@[1/2,1) c@[0,1/3) d@[1/3,2/3) e@[2/3,1)");
    assert_eq!(cycle("[a b, c d e]", 0), want);
    assert_eq!(cycle("a b, c d e", 0), want);
    assert_eq!(cycle("c3,e3,g3", 0), ev("c3@[0,1) e3@[0,1) g3@[0,1)"));
}

/// Layer 1: the string-pattern cases of Tidal's `ParseTest.hs` [T8] that have no typed
/// (Bool, Int, chord) parse.
#[test]
fn tidal_parse_tests() {
    same("a b c", "[a b c]", 12);
    same("[bd sd] hh", "[bd sd] [hh]", 1);
    same("bd sd . hh hh hh", "[bd sd] [hh hh hh]", 1);
    same("a _ _ b _", "a@3 b@2", 2);
    same("a! b", "a a b", 2);
    same("{a a}%2", "{a !}%2", 2);
    same("a!8?", "[a!8]?", 1);
    same("a*4@0.25?", "[a*4@0.25]?", 1);
    same("<a!3 b ! c@5>", "[[a a a b b] c]/10", 31);
    same("a@0.5 b@1%6 b@1%6 b@1%6", "a b*3", 2);
    same("0 .. 8", "0 1 2 3 4 5 6 7 8", 2);
    same("0.0..8.0", "0 1 2 3 4 5 6 7 8", 2);
    same("0..8", "0 1 2 3 4 5 6 7 8", 2);
    same("1e3", "1000", 1);
    same("400e-3", "0.4", 1);
    same("bd(3,8,1)", "~ ~ bd ~ ~ bd ~ bd", 1);
    same("  bd  ", "bd", 1);
    same("- 2", "~ 2", 1);
    same(
        "[-- 2 <-- 2@7 3> 1*4%2 3? 4 9|8 -- [-- <2 9q> -]] 2!4",
        "[~~ 2 <~~ 2@7 3> 1*4%2 3? 4 9|8 ~~ [~~ <2 9q> ~]] 2!4",
        8,
    );
    same("- 2q -3.999-9", "~ 2q -3.999-9", 1);
    same("[-- 2 -- -]", "[~~ 2 ~~ ~]", 1);
    same("<-- 2 -- - 8>", "<~~ 2 ~~ ~ 8>", 6);
    same("a a |b b b|c c c c", "[a a|b b b|c c c c]", 12);
    same("a|b b", "[a|b b]", 12);
    same("a b|c", "[a b|c]", 12);
    same("1 2, 3 4 5", "[1 2, 3 4 5]", 2);
    same("9!2 1,2 3", "[9 9 1, 2 3]", 2);
    same("8@2 4, [23 | 4] , 3 9 8", "[8@2 4, [23|4], 3 9 8]", 12);
    assert_eq!(onsets("cp/0", 2), vec![]);
    assert_eq!(onsets("cp(5,0)", 2), vec![]);
    assert_eq!(onsets("cp(5,c)", 2), vec![]);
    // `{a b, c d e}` is `stack [fastcat [a, b], slow 1.5 (fastcat [c, d, e])]`.
    same("{a b, c d e}", "[a b, [c d e]/1.5]", 2);
}

// ----- §3: fast and slow -----

#[test]
fn fast_inside_a_step() {
    assert_eq!(cycle("a*2 b", 0), ev("a@[0,1/4) a@[1/4,1/2) b@[1/2,1)"));
}

#[test]
fn fractional_fast() {
    assert_eq!(cycle("[a b]*1.5", 0), ev("a@[0,1/3) b@[1/3,2/3) a@[2/3,1)"));
    assert_eq!(cycle("[a b]*1.5", 1), ev("b@[1,4/3) a@[4/3,5/3) b@[5/3,2)"));
}

#[test]
fn fast_events_cross_the_cycle() {
    assert_eq!(cycle("a*1.5", 0), ev("a@[0,2/3) a@[2/3,4/3)"));
    assert_eq!(cycle("a*1.5", 1), ev("a@[4/3,2)"));
}

#[test]
fn patterned_fast_factor() {
    assert_eq!(cycle("a*<2 3>", 0), ev("a@[0,1/2) a@[1/2,1)"));
    assert_eq!(cycle("a*<2 3>", 1), ev("a@[1,4/3) a@[4/3,5/3) a@[5/3,2)"));
    assert_eq!(cycle("a*<2 3>", 2), ev("a@[2,5/2) a@[5/2,3)"));
    // The Strudel row: `[a*<3 5>]*2` plays 3 then 5 per half cycle.
    let c0 = cycle("[a*<3 5>]*2", 0);
    assert_eq!(c0.len(), 8);
    assert_eq!(c0.first().unwrap().1, Time::new(1, 6));
    assert_eq!(c0.last().unwrap().0, Time::new(9, 10));
}

#[test]
fn slow() {
    assert_eq!(cycle("a/2", 0), ev("a@[0,2)"));
    assert_eq!(cycle("a/2", 1), ev(""));
    assert_eq!(cycle("a/2", 2), ev("a@[2,4)"));
}

#[test]
fn slow_inside_a_step() {
    let c0 = ev("a@[0,1/2) b@[1/2,3/2)");
    assert_eq!(cycle("a b/2", 0), c0);
    assert_eq!(cycle("a b/2", 1), ev("a@[1,3/2)"));
    assert_eq!(cycle("a b/2", 2), shifted(c0, 2));
}

#[test]
fn slow_sequence() {
    assert_eq!(cycle("[a b c d]/2", 0), ev("a@[0,1/2) b@[1/2,1)"));
    assert_eq!(cycle("[a b c d]/2", 1), ev("c@[1,3/2) d@[3/2,2)"));
}

#[test]
fn fractional_slow() {
    assert_eq!(cycle("[a b]/1.5", 0), ev("a@[0,3/4) b@[3/4,3/2)"));
    assert_eq!(cycle("[a b]/1.5", 1), ev("a@[3/2,9/4)"));
    assert_eq!(cycle("[a b]/1.5", 2), ev("b@[9/4,3)"));
}

#[test]
fn patterned_divisor() {
    same("[a a a a a a a a]/[2 4]", "[a a] a", 4);
}

// ----- §3: weights and replication -----

#[test]
fn weights() {
    assert_eq!(cycle("a@3 b", 0), ev("a@[0,3/4) b@[3/4,1)"));
    same("a _ _ b", "a@3 b", 2);
    assert_eq!(cycle("a@2 b@3", 0), ev("a@[0,2/5) b@[2/5,1)"));
    same("a@2 b@3", "a _ b _ _", 2);
    same("a @ b @ @", "a _2 b _3", 2);
    same("a @ b @ @", "a@2 b@3", 2);
    assert_eq!(
        cycle("[a b c]@2 d", 0),
        ev("a@[0,2/9) b@[2/9,4/9) c@[4/9,2/3) d@[2/3,1)")
    );
}

#[test]
fn fractional_weights() {
    same("a@0.5 b@1%6 b@1%6 b@1%6", "a b*3", 2);
    same("a@1.5 b", "a@3 b@2", 2);
}

#[test]
fn replicate() {
    let want = ev("a@[0,1/4) a@[1/4,1/2) a@[1/2,3/4) b@[3/4,1)");
    assert_eq!(cycle("a!3 b", 0), want);
    assert_eq!(cycle("a ! ! b", 0), want);
    assert_eq!(cycle("a! ! b", 0), want);
}

#[test]
fn replicate_cycle_varying_step() {
    assert_eq!(cycle("<a b>!2 c", 0), ev("a@[0,1/3) a@[1/3,2/3) c@[2/3,1)"));
    assert_eq!(cycle("<a b>!2 c", 1), ev("b@[1,4/3) b@[4/3,5/3) c@[5/3,2)"));
    // Strudel's row.
    assert_eq!(
        cycle("[<a b c>]!3 d", 1),
        ev("b@[1,5/4) b@[5/4,3/2) b@[3/2,7/4) d@[7/4,2)")
    );
}

// ----- §3: alternation and polymeter -----

#[test]
fn alternation() {
    for (c, v) in ["a", "b", "c", "a"].iter().enumerate() {
        let c = c as i64;
        assert_eq!(cycle("<a b c>", c), ev(&format!("{v}@[{c},{})", c + 1)));
    }
    same("<a b c>", "{a b c}%1", 6);
}

#[test]
fn alternation_inside_a_step() {
    assert_eq!(cycle("a <b c>", 0), ev("a@[0,1/2) b@[1/2,1)"));
    assert_eq!(cycle("a <b c>", 1), ev("a@[1,3/2) c@[3/2,2)"));
}

#[test]
fn subsequence_inside_alternation() {
    assert_eq!(cycle("<a [b c]>", 0), ev("a@[0,1)"));
    assert_eq!(cycle("<a [b c]>", 1), ev("b@[1,3/2) c@[3/2,2)"));
}

#[test]
fn fast_alternation() {
    assert_eq!(cycle("<a b c>*2", 0), ev("a@[0,1/2) b@[1/2,1)"));
    assert_eq!(cycle("<a b c>*2", 1), ev("c@[1,3/2) a@[3/2,2)"));
    assert_eq!(cycle("<a b c>*2", 2), ev("b@[2,5/2) c@[5/2,3)"));
}

#[test]
fn slow_alternation() {
    assert_eq!(onsets("<a b>/2", 4), ev("a@[0,2) b@[2,4)"));
}

#[test]
fn weight_inside_alternation() {
    assert_eq!(onsets("<a@3 b>", 4), ev("a@[0,3) b@[3,4)"));
    assert_eq!(cycle("<a@3 b>", 4), ev("a@[4,7)"));
    same("<a!3 b ! c@5>", "[[a a a b b] c]/10", 20);
}

#[test]
fn parallel_alternations() {
    let want = [("a", "c"), ("b", "d"), ("a", "e"), ("b", "c")];
    for (c, (x, y)) in want.iter().enumerate() {
        let c = c as i64;
        let s = format!("{x}@[{c},{e}) {y}@[{c},{e})", e = c + 1);
        assert_eq!(cycle("<a b, c d e>", c), ev(&s));
    }
}

#[test]
fn polymeter() {
    let p = "{a b, c d e}";
    assert_eq!(cycle(p, 0), ev("a@[0,1/2) c@[0,1/2) b@[1/2,1) d@[1/2,1)"));
    assert_eq!(cycle(p, 1), ev("a@[1,3/2) e@[1,3/2) b@[3/2,2) c@[3/2,2)"));
    assert_eq!(cycle(p, 2), ev("a@[2,5/2) d@[2,5/2) b@[5/2,3) e@[5/2,3)"));
}

#[test]
fn polymeter_steps() {
    // The reference's equivalence holds for the first cycle; after it the two-step layer
    // carries on where it stopped (b a b), as Tidal's polymeter does.
    assert_eq!(cycle("{a b, c d e}%3", 0), cycle("[a b a, c d e]", 0));
    assert_eq!(
        cycle("{a b, c d e}%3", 1),
        ev("b@[1,4/3) c@[1,4/3) a@[4/3,5/3) d@[4/3,5/3) b@[5/3,2) e@[5/3,2)")
    );
    assert_eq!(
        cycle("{a b c}%4", 0),
        ev("a@[0,1/4) b@[1/4,1/2) c@[1/2,3/4) a@[3/4,1)")
    );
    assert_eq!(
        cycle("{a b c}%4", 1),
        ev("b@[1,5/4) c@[5/4,3/2) a@[3/2,7/4) b@[7/4,2)")
    );
    assert_eq!(
        cycle("{a b c}%4", 2),
        ev("c@[2,9/4) a@[9/4,5/2) b@[5/2,11/4) c@[11/4,3)")
    );
    same("{a b, c d e}*3", "[a b a b a b, c d e c d e]", 4);
}

#[test]
fn polymeter_patterned_steps() {
    let p = "{a b c}%<2 4>";
    assert_eq!(cycle(p, 0), ev("a@[0,1/2) b@[1/2,1)"));
    // Cycle 1 runs at 4 steps per cycle: steps 4..8 of the endless a b c.
    assert_eq!(
        cycle(p, 1),
        ev("b@[1,5/4) c@[5/4,3/2) a@[3/2,7/4) b@[7/4,2)")
    );
}

// ----- §3 and §4: euclid -----

#[test]
fn euclid() {
    assert_eq!(cycle("a(3,8)", 0), ev("a@[0,1/8) a@[3/8,1/2) a@[3/4,7/8)"));
    assert_eq!(cycle("a(3,8)", 1), shifted(cycle("a(3,8)", 0), 1));
}

#[test]
fn euclid_rotation_turns_left() {
    assert_eq!(mask("a(3,8,1)", 8), "..x..x.x");
    same("a(3,8,1)", "~ ~ a ~ ~ a ~ a", 2);
    assert_eq!(
        cycle("a(3,8,2)", 0),
        ev("a@[1/8,1/4) a@[1/2,5/8) a@[3/4,7/8)")
    );
}

#[test]
fn euclid_inverted() {
    assert_eq!(mask("a(-3,8)", 8), ".xx.xx.x");
}

#[test]
fn euclid_patterned_arguments() {
    let p = "a(<3 5>,<8 16>)";
    assert_eq!(cycle(p, 0), cycle("a(3,8)", 0));
    assert_eq!(cycle(p, 1), shifted(cycle("a(5,16)", 0), 1));
}

#[test]
fn euclid_on_a_subsequence_squeezes() {
    assert_eq!(
        cycle("[a b](3,8)", 0),
        ev("a@[0,1/16) b@[1/16,1/8) a@[3/8,7/16) b@[7/16,1/2) a@[3/4,13/16) b@[13/16,7/8)")
    );
}

#[test]
fn degenerate_inputs_are_silent() {
    for p in [
        "a(5,0)", "a/0", "a(5,c)", "a*0", "a(0,8)", "<>", "{}", "[]", "~",
    ] {
        assert_eq!(onsets(p, 3), vec![], "{p}");
    }
}

#[test]
fn huge_factors_stop_at_the_budget() {
    // The lowering keeps `*100000000` as a factor; the query budget, not the parser,
    // refuses the hundred million events.
    // (Euclid step counts above the engine's `MAX_STEPS` are silence instead.)
    for p in ["a*100000000", "[a b]/0.00000001", "a*1e8"] {
        let pat = compile(p);
        let mut out = Vec::new();
        let r = pat.query(
            TimeSpan::new(Time::ZERO, Time::ONE),
            &mut Budget::new(100_000),
            &mut out,
        );
        assert!(r.is_err(), "{p}: {} haps", out.len());
    }
}

#[test]
fn bjorklund_table() {
    let table = [
        (1, 4, "x..."),
        (2, 5, "x.x.."),
        (3, 4, "xxx."),
        (3, 5, "x.x.x"),
        (3, 7, "x.x.x.."),
        (3, 8, "x..x..x."),
        (4, 7, "x.x.x.x"),
        (4, 9, "x.x.x.x.."),
        (4, 11, "x..x..x..x."),
        (5, 6, "xxxxx."),
        (5, 7, "x.xx.xx"),
        (5, 8, "x.xx.xx."),
        (5, 9, "x.x.x.x.x"),
        (5, 11, "x.x.x.x.x.."),
        (5, 12, "x..x.x..x.x."),
        (5, 16, "x..x..x..x..x..."),
        (7, 8, "xxxxxxx."),
        (7, 12, "x.xx.x.xx.x."),
        (7, 16, "x..x.x.x..x.x.x."),
        (9, 16, "x.xx.x.x.xx.x.x."),
        (11, 24, "x..x.x.x.x.x..x.x.x.x.x."),
        (13, 24, "x.xx.x.x.x.x.xx.x.x.x.x."),
        (2, 8, "x...x..."),
        (4, 8, "x.x.x.x."),
        (6, 8, "x.xxx.xx"),
        (0, 8, "........"),
    ];
    for (k, n, want) in table {
        assert_eq!(mask(&format!("x({k},{n})"), n), want, "({k},{n})");
    }
}

// ----- §3: ranges and numbers -----

#[test]
fn ranges() {
    assert_eq!(
        cycle("0 .. 4", 0),
        ev("0@[0,1/5) 1@[1/5,2/5) 2@[2/5,3/5) 3@[3/5,4/5) 4@[4/5,1)")
    );
    assert_eq!(
        cycle("3 .. 0", 0),
        ev("3@[0,1/4) 2@[1/4,1/2) 1@[1/2,3/4) 0@[3/4,1)")
    );
    same("0 .. 3 4", "[0 1 2 3] 4", 2);
    same("[<0 1> .. <2 4>]*2", "[0 1 2] [1 2 3 4]", 2);
}

#[test]
fn numbers_and_words() {
    assert_eq!(
        cycle("1%3 -2 0.5 1e3 bd:3 f#3", 0),
        ev("0.3333333333@[0,1/6) -2@[1/6,1/3) 0.5@[1/3,1/2) 1000@[1/2,2/3) bd:3@[2/3,5/6) f#3@[5/6,1)")
    );
}

// ----- §5: Tidal randomness -----

#[test]
fn degrade_keeps_tidal_stream() {
    let keeps = "✔✔–✔––✔––––✔";
    let evs = onsets("a?", 12);
    for (c, k) in keeps.chars().enumerate() {
        let kept = evs.iter().any(|(b, _, _)| *b == Time::int(c as i64));
        assert_eq!(kept, k == '✔', "cycle {c}");
    }
}

#[test]
fn degrade_probability() {
    // rand(c) for cycles 0..11 (seed 0): keep iff rand >= p.
    let rands = [
        0.5, 0.5178, 0.0360, 0.8026, 0.0720, 0.1154, 0.6052, 0.1469, 0.1436, 0.4303, 0.2312, 0.6044,
    ];
    let evs = onsets("a?0.2", 12);
    for (c, r) in rands.iter().enumerate() {
        let kept = evs.iter().any(|(b, _, _)| *b == Time::int(c as i64));
        assert_eq!(kept, *r >= 0.2, "cycle {c}");
    }
}

#[test]
fn random_choice_tidal_indices() {
    let want = [1, 1, 0, 2, 0, 0, 1, 0, 0, 1, 0, 1];
    let names = ["a", "b", "c"];
    for (c, i) in want.iter().enumerate() {
        let c = c as i64;
        let v = names[*i];
        assert_eq!(
            cycle("[a|b|c]", c),
            ev(&format!("{v}@[{c},{})", c + 1)),
            "cycle {c}"
        );
    }
}

#[test]
fn degrade_mask_of_fast_step() {
    assert_eq!(mask("a*8?", 8), "x.xx....");
}

#[test]
fn seeds_follow_parse_order() {
    // `a?` takes seed 0 and `b?` seed 1: they are offset streams, so over many cycles they
    // disagree somewhere; with both at seed 0 they would agree everywhere.
    let p = compile("[a?, b?]");
    let evs = onsets_in(&p, Time::ZERO, Time::int(64));
    let kept = |v: &str| -> Vec<Time> {
        evs.iter()
            .filter(|e| e.2 == v)
            .map(|e| e.0)
            .collect::<Vec<_>>()
    };
    assert_ne!(kept("a"), kept("b"));
    assert_eq!(kept("a"), {
        let only_a = onsets("a?", 64);
        only_a.iter().map(|e| e.0).collect::<Vec<_>>()
    });
}

#[test]
fn degrade_statistics() {
    let evs = onsets("a?", 1000);
    assert!((459..=541).contains(&evs.len()), "{}", evs.len());
    assert!(onsets("a?0.8", 1000).len() < 230);
}

// ----- §8 layer 3: properties -----

const PATTERNS: &[&str] = &[
    "a b c",
    "a*1.5",
    "[a b]/1.5",
    "a b/2",
    "a*<2 3>",
    "<a b c>*2",
    "<a@3 b>",
    "{a b, c d e}",
    "{a b c}%4",
    "a(3,8,2)",
    "[a b](3,8)",
    "a(<3 5>,<8 16>)",
    "a*8?",
    "[a|b|c]",
    "0 .. 4",
    "[a a a a a a a a]/[2 4]",
    "a . b c . d e f",
    "<a!3 b ! c@5>",
];

fn onsets_tiled(pat: &PatRef, cuts: &[Time], end: Time) -> Vec<Ev> {
    let mut bounds = vec![Time::ZERO];
    bounds.extend(cuts.iter().copied().filter(|t| *t > Time::ZERO && *t < end));
    bounds.sort();
    // Zero-width windows sample the events active at a point (Tidal), so a tiling has none.
    bounds.dedup();
    bounds.push(end);
    let mut all = Vec::new();
    for w in bounds.windows(2) {
        all.extend(onsets_in(pat, w[0], w[1]));
    }
    sorted(all)
}

proptest! {
    /// Every onset is reported exactly once however the timeline is tiled into windows
    /// (query-split invariance, the property a tick-based scheduler relies on).
    #[test]
    fn onsets_survive_any_tiling(
        i in 0..PATTERNS.len(),
        cuts in proptest::collection::vec((0i64..48, 1i64..12), 0..8),
    ) {
        let text = PATTERNS[i];
        let pat = compile(text);
        let end = Time::int(4);
        let cuts: Vec<Time> = cuts.iter().map(|(n, d)| Time::new(*n, *d)).collect();
        let whole = onsets_in(&pat, Time::ZERO, end);
        prop_assert_eq!(onsets_tiled(&pat, &cuts, end), whole, "{}", text);
    }

    /// `x!n` is n copies of x.
    #[test]
    fn replicate_is_copies(n in 1usize..12, x in 0..4usize) {
        let step = ["a", "<a b>", "[a b]", "a*2"][x];
        let copies = vec![step; n].join(" ");
        same(&format!("{step}!{n} c"), &format!("{copies} c"), 3);
    }

    /// `{…}%k` has exactly k steps per cycle.
    #[test]
    fn polymeter_has_k_steps(k in 1i64..12, len in 1usize..6, c in 0i64..8) {
        let seq = ["a", "b", "c", "d", "e", "f"][..len].join(" ");
        let evs = cycle(&format!("{{{seq}}}%{k}"), c);
        prop_assert_eq!(evs.len() as i64, k);
        for (i, e) in evs.iter().enumerate() {
            prop_assert_eq!(e.0, Time::int(c) + Time::new(i as i64, k));
        }
    }

    /// `<…>` repeats with a period equal to its total weight.
    #[test]
    fn alternation_period_is_total_weight(w in proptest::collection::vec(1i64..4, 1..5)) {
        let names = ["a", "b", "c", "d", "e"];
        let body: Vec<String> = w.iter().zip(names).map(|(w, n)| format!("{n}@{w}")).collect();
        let text = format!("<{}>", body.join(" "));
        let period: i64 = w.iter().sum();
        let pat = compile(&text);
        let first = onsets_in(&pat, Time::ZERO, Time::int(period));
        let second = onsets_in(&pat, Time::int(period), Time::int(2 * period));
        prop_assert_eq!(first.len(), w.len());
        prop_assert_eq!(shifted(first, period), second);
    }

    /// `fast r` then `slow r` is the identity.
    #[test]
    fn fast_then_slow_is_identity(i in 0..PATTERNS.len(), r in 1i64..5, d in 1i64..4) {
        let text = PATTERNS[i];
        let wrapped = format!("[[{text}]*{r}%{d}]/{r}%{d}");
        same(&wrapped, text, 3);
    }
}

// ----- the whole pipeline on arbitrary input -----

/// Onsets of `[0, end)` split at `cuts`, or `None` when the budget runs out.
fn onsets_budgeted(pat: &PatRef, cuts: &[Time], end: Time) -> Option<Vec<Ev>> {
    let mut bounds = vec![Time::ZERO];
    bounds.extend(cuts.iter().copied().filter(|t| *t > Time::ZERO && *t < end));
    bounds.sort();
    bounds.dedup();
    bounds.push(end);
    let mut all = Vec::new();
    for w in bounds.windows(2) {
        let mut out = Vec::new();
        pat.query(
            TimeSpan::new(w[0], w[1]),
            &mut Budget::new(200_000),
            &mut out,
        )
        .ok()?;
        all.extend(out.into_iter().filter(Hap::has_onset).map(|h| {
            let whole = h.whole.unwrap();
            (whole.begin, whole.end, format!("{:?}", h.value))
        }));
    }
    Some(sorted(all))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Whatever the string, its lowered pattern queries without panicking, and when it
    /// compiles cleanly its onsets do not depend on how the query is split.
    #[test]
    fn arbitrary_strings_query_consistently(
        text in r"[ab0-3~\-\[\]<>{}(),|.!@_*/?% ]{0,24}",
        cuts in proptest::collection::vec((0i64..24, 1i64..8), 0..5),
    ) {
        let (pat, diags) = mini::compile(&text, Span::new(FileId(0), 0, text.len()));
        let end = Time::int(3);
        let cuts: Vec<Time> = cuts.iter().map(|(n, d)| Time::new(*n, *d)).collect();
        let whole = onsets_budgeted(&pat, &[], end);
        let tiled = onsets_budgeted(&pat, &cuts, end);
        if diags.is_empty() {
            if let (Some(whole), Some(tiled)) = (whole, tiled) {
                prop_assert_eq!(tiled, whole, "{:?}", text);
            }
        }
    }
}

/// Well-formed mini-notation, built from the constructs of the reference.
fn mini_pattern() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("a".to_string()),
        Just("b".to_string()),
        Just("~".to_string()),
        Just("1".to_string()),
        Just("-2".to_string()),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        let two = (inner.clone(), inner.clone());
        prop_oneof![
            proptest::collection::vec(inner.clone(), 1..4)
                .prop_map(|v| format!("[{}]", v.join(" "))),
            two.clone().prop_map(|(x, y)| format!("<{x} {y}>")),
            two.clone()
                .prop_map(|(x, y)| format!("{{{x} {y}, {x} {y} {x}}}%3")),
            two.clone().prop_map(|(x, y)| format!("[{x}|{y}]")),
            two.clone().prop_map(|(x, y)| format!("[{x}, {y}]")),
            two.clone().prop_map(|(x, y)| format!("[{x} . {y} {x}]")),
            two.prop_map(|(x, y)| format!("[{x}@1.5 {y}!2]")),
            inner.clone().prop_map(|x| format!("{x}*<2 3>")),
            inner.clone().prop_map(|x| format!("{x}*1.5")),
            inner.clone().prop_map(|x| format!("{x}/<2 1.5>")),
            inner.clone().prop_map(|x| format!("{x}(<3 5>,8,<0 2>)")),
            inner.clone().prop_map(|x| format!("{x}?")),
            inner.prop_map(|x| format!("[0 .. <2 -1>] {x}")),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Query-split invariance over generated well-formed patterns.
    #[test]
    fn generated_patterns_query_consistently(
        text in mini_pattern(),
        cuts in proptest::collection::vec((0i64..24, 1i64..8), 1..5),
    ) {
        let pat = compile(&text);
        let end = Time::int(3);
        let cuts: Vec<Time> = cuts.iter().map(|(n, d)| Time::new(*n, *d)).collect();
        if let (Some(whole), Some(tiled)) =
            (onsets_budgeted(&pat, &[], end), onsets_budgeted(&pat, &cuts, end))
        {
            prop_assert_eq!(tiled, whole, "{:?}", text);
        }
    }
}
