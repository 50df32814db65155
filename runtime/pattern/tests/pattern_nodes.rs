//! Per-node tests with exact rational onsets from `shared/reference/mini-notation.md` §3,
//! the patterns built by hand from `Pat` nodes.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use patter_pattern::build::*;
use patter_pattern::{ArpMode, BinOp, Pat, Time, UnOp, Value};

fn w(s: &str) -> std::sync::Arc<Pat> {
    word(s)
}

#[test]
fn pure_has_one_event_per_cycle() {
    let p = w("a");
    assert_eq!(
        onsets(&p, 0, 3),
        ev(&[
            ("a", (0, 1), (1, 1)),
            ("a", (1, 1), (2, 1)),
            ("a", (2, 1), (3, 1))
        ])
    );
    let frag = query(&p, t(1, 2), t(3, 2));
    assert_eq!(frag.len(), 2);
    assert_eq!(frag[0].whole.unwrap(), span(t(0, 1), t(1, 1)));
    assert_eq!(frag[0].part, span(t(1, 2), t(1, 1)));
    assert!(!frag[0].has_onset());
    assert!(frag[1].has_onset());
}

#[test]
fn sequence_subsequence_and_nesting() {
    let abc = seq_words(&["a", "b", "c"]);
    assert_eq!(
        onsets(&abc, 0, 1),
        ev(&[
            ("a", (0, 1), (1, 3)),
            ("b", (1, 3), (2, 3)),
            ("c", (2, 3), (1, 1))
        ])
    );
    assert_eq!(
        onsets(&abc, 5, 6),
        ev(&[
            ("a", (5, 1), (16, 3)),
            ("b", (16, 3), (17, 3)),
            ("c", (17, 3), (6, 1))
        ])
    );
    let rest = seq_words(&["a", "~", "b"]);
    assert_eq!(
        onsets(&rest, 0, 1),
        ev(&[("a", (0, 1), (1, 3)), ("b", (2, 3), (1, 1))])
    );
    // c3 [d3 [e3 f3]]
    let nest = fastcat(vec![
        w("c3"),
        fastcat(vec![w("d3"), seq_words(&["e3", "f3"])]),
    ]);
    assert_eq!(
        onsets(&nest, 0, 1),
        ev(&[
            ("c3", (0, 1), (1, 2)),
            ("d3", (1, 2), (3, 4)),
            ("e3", (3, 4), (7, 8)),
            ("f3", (7, 8), (1, 1))
        ])
    );
    // a . b c . d e f
    let feet = fastcat(vec![
        w("a"),
        seq_words(&["b", "c"]),
        seq_words(&["d", "e", "f"]),
    ]);
    assert_eq!(
        onsets(&feet, 0, 1),
        ev(&[
            ("a", (0, 1), (1, 3)),
            ("b", (1, 3), (1, 2)),
            ("c", (1, 2), (2, 3)),
            ("d", (2, 3), (7, 9)),
            ("e", (7, 9), (8, 9)),
            ("f", (8, 9), (1, 1))
        ])
    );
}

#[test]
fn stack_of_sequences() {
    let p = stack(vec![seq_words(&["a", "b"]), seq_words(&["c", "d", "e"])]);
    assert_eq!(
        onsets(&p, 0, 1),
        ev(&[
            ("a", (0, 1), (1, 2)),
            ("b", (1, 2), (1, 1)),
            ("c", (0, 1), (1, 3)),
            ("d", (1, 3), (2, 3)),
            ("e", (2, 3), (1, 1))
        ])
    );
}

#[test]
fn fast_inside_a_step_and_fractional_fast() {
    // a*2 b
    let p = fastcat(vec![fast(t(2, 1), w("a")), w("b")]);
    assert_eq!(
        onsets(&p, 0, 1),
        ev(&[
            ("a", (0, 1), (1, 4)),
            ("a", (1, 4), (1, 2)),
            ("b", (1, 2), (1, 1))
        ])
    );
    // [a b]*1.5
    let p = fast(t(3, 2), seq_words(&["a", "b"]));
    assert_eq!(
        onsets(&p, 0, 2),
        ev(&[
            ("a", (0, 1), (1, 3)),
            ("b", (1, 3), (2, 3)),
            ("a", (2, 3), (1, 1)),
            ("b", (1, 1), (4, 3)),
            ("a", (4, 3), (5, 3)),
            ("b", (5, 3), (2, 1))
        ])
    );
    // a*1.5: events cross the cycle
    let p = fast(t(3, 2), w("a"));
    assert_eq!(
        onsets(&p, 0, 2),
        ev(&[
            ("a", (0, 1), (2, 3)),
            ("a", (2, 3), (4, 3)),
            ("a", (4, 3), (2, 1))
        ])
    );
}

#[test]
fn patterned_fast_factor() {
    // a*<2 3>
    let p = fast_p(slowcat(vec![num(2.0), num(3.0)]), w("a"));
    assert_eq!(
        onsets(&p, 0, 3),
        ev(&[
            ("a", (0, 1), (1, 2)),
            ("a", (1, 2), (1, 1)),
            ("a", (1, 1), (4, 3)),
            ("a", (4, 3), (5, 3)),
            ("a", (5, 3), (2, 1)),
            ("a", (2, 1), (5, 2)),
            ("a", (5, 2), (3, 1))
        ])
    );
    // [a a a a a a a a]/[2 4] == [a a] a
    let eight = seq_words(&["a"; 8]);
    let p = slow_p(seq_nums(&[2.0, 4.0]), eight);
    let q = fastcat(vec![seq_words(&["a", "a"]), w("a")]);
    assert_eq!(onsets(&p, 0, 4), onsets(&q, 0, 4));
}

#[test]
fn slow_and_the_fast_gap_quirk() {
    let p = slow(t(2, 1), w("a"));
    assert_eq!(onsets(&p, 0, 1), ev(&[("a", (0, 1), (2, 1))]));
    assert_eq!(onsets(&p, 1, 2), vec![]);
    assert_eq!(onsets(&p, 2, 3), ev(&[("a", (2, 1), (4, 1))]));
    // a b/2
    let p = fastcat(vec![w("a"), slow(t(2, 1), w("b"))]);
    assert_eq!(
        onsets(&p, 0, 1),
        ev(&[("a", (0, 1), (1, 2)), ("b", (1, 2), (3, 2))])
    );
    assert_eq!(onsets(&p, 1, 2), ev(&[("a", (1, 1), (3, 2))]));
    assert_eq!(
        onsets(&p, 2, 3),
        ev(&[("a", (2, 1), (5, 2)), ("b", (5, 2), (7, 2))])
    );
    // The quirk: cycle 1's fragment of b has whole [1/2, 3/2) but part [3/2, 2).
    let b = query(&p, t(1, 1), t(2, 1))
        .into_iter()
        .find(|h| show(&h.value) == "b")
        .unwrap();
    assert_eq!(b.whole.unwrap(), span(t(1, 2), t(3, 2)));
    assert_eq!(b.part, span(t(3, 2), t(2, 1)));
    // [a b c d]/2
    let p = slow(t(2, 1), seq_words(&["a", "b", "c", "d"]));
    assert_eq!(
        onsets(&p, 0, 2),
        ev(&[
            ("a", (0, 1), (1, 2)),
            ("b", (1, 2), (1, 1)),
            ("c", (1, 1), (3, 2)),
            ("d", (3, 2), (2, 1))
        ])
    );
    // [a b]/1.5
    let p = slow(t(3, 2), seq_words(&["a", "b"]));
    assert_eq!(
        onsets(&p, 0, 3),
        ev(&[
            ("a", (0, 1), (3, 4)),
            ("b", (3, 4), (3, 2)),
            ("a", (3, 2), (9, 4)),
            ("b", (9, 4), (3, 1))
        ])
    );
}

#[test]
fn weights() {
    // a@3 b
    let p = timecat(vec![(t(3, 1), w("a")), (t(1, 1), w("b"))]);
    assert_eq!(
        onsets(&p, 0, 1),
        ev(&[("a", (0, 1), (3, 4)), ("b", (3, 4), (1, 1))])
    );
    // [a b c]@2 d
    let p = timecat(vec![
        (t(2, 1), seq_words(&["a", "b", "c"])),
        (t(1, 1), w("d")),
    ]);
    assert_eq!(
        onsets(&p, 0, 1),
        ev(&[
            ("a", (0, 1), (2, 9)),
            ("b", (2, 9), (4, 9)),
            ("c", (4, 9), (2, 3)),
            ("d", (2, 3), (1, 1))
        ])
    );
    // a@0.5 b@1%6 b@1%6 b@1%6 == a b*3
    let p = timecat(vec![
        (t(1, 2), w("a")),
        (t(1, 6), w("b")),
        (t(1, 6), w("b")),
        (t(1, 6), w("b")),
    ]);
    let q = fastcat(vec![w("a"), fast(t(3, 1), w("b"))]);
    assert_eq!(onsets(&p, 0, 2), onsets(&q, 0, 2));
    // zero and negative weights take no room and never divide by zero
    let p = timecat(vec![
        (t(0, 1), w("x")),
        (t(1, 1), w("a")),
        (t(-1, 1), w("y")),
    ]);
    assert_eq!(onsets(&p, 0, 1), ev(&[("a", (0, 1), (1, 1))]));
    let p = timecat(vec![(t(0, 1), w("x"))]);
    assert_eq!(onsets(&p, 0, 1), vec![]);
}

#[test]
fn alternation() {
    let p = slowcat(vec![w("a"), w("b"), w("c")]);
    assert_eq!(
        onsets(&p, 0, 4),
        ev(&[
            ("a", (0, 1), (1, 1)),
            ("b", (1, 1), (2, 1)),
            ("c", (2, 1), (3, 1)),
            ("a", (3, 1), (4, 1))
        ])
    );
    // a <b c>
    let p = fastcat(vec![w("a"), slowcat(vec![w("b"), w("c")])]);
    assert_eq!(
        onsets(&p, 0, 2),
        ev(&[
            ("a", (0, 1), (1, 2)),
            ("b", (1, 2), (1, 1)),
            ("a", (1, 1), (3, 2)),
            ("c", (3, 2), (2, 1))
        ])
    );
    // <a [b c]>
    let p = slowcat(vec![w("a"), seq_words(&["b", "c"])]);
    assert_eq!(
        onsets(&p, 0, 2),
        ev(&[
            ("a", (0, 1), (1, 1)),
            ("b", (1, 1), (3, 2)),
            ("c", (3, 2), (2, 1))
        ])
    );
    // <a b c>*2
    let p = fast(t(2, 1), slowcat(vec![w("a"), w("b"), w("c")]));
    let vals: Vec<String> = onsets(&p, 0, 3).into_iter().map(|e| e.0).collect();
    assert_eq!(vals, vec!["a", "b", "c", "a", "b", "c"]);
    // <a b>/2
    let p = slow(t(2, 1), slowcat(vec![w("a"), w("b")]));
    assert_eq!(
        onsets(&p, 0, 4),
        ev(&[("a", (0, 1), (2, 1)), ("b", (2, 1), (4, 1))])
    );
    // <a@3 b> is slow 4 of a@3 b... in Tidal the <> of weighted steps is a slowed timecat
    // <a!3 b ! c@5> == slow 10 "[a a a b b] c" checked at the sequence level:
    let p = slow(
        t(10, 1),
        timecat(vec![
            (t(5, 1), seq_words(&["a", "a", "a", "b", "b"])),
            (t(5, 1), w("c")),
        ]),
    );
    let vals: Vec<String> = onsets(&p, 0, 10).into_iter().map(|e| e.0).collect();
    assert_eq!(vals, vec!["a", "a", "a", "b", "b", "c"]);
    // Negative cycles follow the same formula.
    let p = slowcat(vec![w("a"), w("b"), w("c")]);
    assert_eq!(onsets(&p, -1, 0), ev(&[("c", (-1, 1), (0, 1))]));
    // <a b>!2 c
    let ab = slowcat(vec![w("a"), w("b")]);
    let p = fastcat(vec![ab.clone(), ab, w("c")]);
    let vals: Vec<String> = onsets(&p, 0, 2).into_iter().map(|e| e.0).collect();
    assert_eq!(vals, vec!["a", "a", "c", "b", "b", "c"]);
}

#[test]
fn polymeter_as_fast_slowcat() {
    // {a b c}%4 == fast (4/3) (fastcat [a b c]) ... as Tidal builds it: _fast (4/3) "a b c"
    let p = fast(t(4, 3), seq_words(&["a", "b", "c"]));
    let vals: Vec<String> = onsets(&p, 0, 3).into_iter().map(|e| e.0).collect();
    assert_eq!(
        vals,
        vec!["a", "b", "c", "a", "b", "c", "a", "b", "c", "a", "b", "c"]
    );
    assert_eq!(onsets(&p, 1, 2)[0].1, t(1, 1));
}

#[test]
fn early_and_late() {
    let p = early(t(1, 4), seq_words(&["a", "b"]));
    assert_eq!(
        onsets(&p, 0, 1),
        ev(&[("b", (1, 4), (3, 4)), ("a", (3, 4), (5, 4))])
    );
    let p = late(t(1, 3), w("a"));
    assert_eq!(onsets(&p, 0, 1), ev(&[("a", (1, 3), (4, 3))]));
    // Patterned shift: <0 0.25> <~ "a b"
    let p = Pat::Early {
        amount: slowcat(vec![num(0.0), num(0.25)]),
        pat: seq_words(&["a", "b"]),
    };
    assert_eq!(
        onsets(&p, 0, 2),
        ev(&[
            ("a", (0, 1), (1, 2)),
            ("b", (1, 2), (1, 1)),
            ("b", (5, 4), (7, 4)),
            ("a", (7, 4), (9, 4))
        ])
    );
}

#[test]
fn rev_reflects_each_cycle() {
    let p = rev(seq_words(&["a", "b", "c"]));
    assert_eq!(
        onsets(&p, 0, 2),
        ev(&[
            ("c", (0, 1), (1, 3)),
            ("b", (1, 3), (2, 3)),
            ("a", (2, 3), (1, 1)),
            ("c", (1, 1), (4, 3)),
            ("b", (4, 3), (5, 3)),
            ("a", (5, 3), (2, 1))
        ])
    );
    // Negative fast reverses.
    let p = fast(t(-1, 1), seq_words(&["a", "b"]));
    assert_eq!(
        onsets(&p, 0, 1),
        ev(&[("b", (0, 1), (1, 2)), ("a", (1, 2), (1, 1))])
    );
    // Zero fast is silence.
    assert_eq!(onsets(&fast(t(0, 1), w("a")), 0, 2), vec![]);
}

#[test]
fn euclid_table_rows() {
    let p = euclid(3, 8, 0, w("a"));
    assert_eq!(
        onsets(&p, 0, 1),
        ev(&[
            ("a", (0, 1), (1, 8)),
            ("a", (3, 8), (1, 2)),
            ("a", (3, 4), (7, 8))
        ])
    );
    // Tidal rotates left: x(3,8,1) hits steps 2, 5, 7.
    let p = euclid(3, 8, 1, w("a"));
    assert_eq!(
        onsets(&p, 0, 1),
        ev(&[
            ("a", (2, 8), (3, 8)),
            ("a", (5, 8), (6, 8)),
            ("a", (7, 8), (1, 1))
        ])
    );
    let p = euclid(3, 8, 2, w("a"));
    assert_eq!(
        onsets(&p, 0, 1),
        ev(&[
            ("a", (1, 8), (1, 4)),
            ("a", (1, 2), (5, 8)),
            ("a", (3, 4), (7, 8))
        ])
    );
    // Negative k inverts: steps 1 2 4 5 7.
    let p = euclid(-3, 8, 0, w("a"));
    let begins: Vec<Time> = onsets(&p, 0, 1).into_iter().map(|e| e.1).collect();
    assert_eq!(begins, vec![t(1, 8), t(2, 8), t(4, 8), t(5, 8), t(7, 8)]);
    // Degenerate arguments are silence.
    assert_eq!(onsets(&euclid(5, 0, 0, w("a")), 0, 2), vec![]);
    assert_eq!(onsets(&euclid(5, -3, 0, w("a")), 0, 2), vec![]);
    assert_eq!(onsets(&euclid(3, 1_000_000_000, 0, w("a")), 0, 1), vec![]);
    assert_eq!(onsets(&euclid(i64::MIN, 8, 0, w("a")), 0, 1), vec![]);
    let p = euclid_p(num(3.0), word("c"), num(0.0), w("a"));
    assert_eq!(onsets(&p, 0, 1), vec![]);
    // `c` is a note name (0) in as_num, also degenerate; a non-note word likewise:
    let p = euclid_p(num(3.0), word("bd"), num(0.0), w("a"));
    assert_eq!(onsets(&p, 0, 1), vec![]);
}

#[test]
fn euclid_squeezes_subsequences_and_patterned_args() {
    // [a b](3,8)
    let p = euclid(3, 8, 0, seq_words(&["a", "b"]));
    assert_eq!(
        onsets(&p, 0, 1),
        ev(&[
            ("a", (0, 1), (1, 16)),
            ("b", (1, 16), (1, 8)),
            ("a", (3, 8), (7, 16)),
            ("b", (7, 16), (1, 2)),
            ("a", (3, 4), (13, 16)),
            ("b", (13, 16), (7, 8))
        ])
    );
    // a(<3 5>,<8 16>)
    let p = euclid_p(
        slowcat(vec![num(3.0), num(5.0)]),
        slowcat(vec![num(8.0), num(16.0)]),
        num(0.0),
        w("a"),
    );
    let c0: Vec<Time> = onsets(&p, 0, 1).into_iter().map(|e| e.1).collect();
    assert_eq!(c0, vec![t(0, 1), t(3, 8), t(6, 8)]);
    let c1: Vec<Time> = onsets(&p, 1, 2)
        .into_iter()
        .map(|e| e.1 - Time::ONE)
        .collect();
    // (5,16) x..x..x..x..x...
    assert_eq!(c1, vec![t(0, 16), t(3, 16), t(6, 16), t(9, 16), t(12, 16)]);
}

#[test]
fn boolean_euclid_has_false_gaps() {
    let p = euclid_bool(3, 8, 1, boolean(true));
    let vals: Vec<String> = onsets(&p, 0, 1).into_iter().map(|e| e.0).collect();
    assert_eq!(
        vals,
        vec!["false", "false", "true", "false", "false", "true", "false", "true"]
    );
}

#[test]
fn range_steps() {
    let p = range(num(0.0), num(4.0));
    let vals: Vec<String> = onsets(&p, 0, 1).into_iter().map(|e| e.0).collect();
    assert_eq!(vals, vec!["0", "1", "2", "3", "4"]);
    assert_eq!(onsets(&p, 0, 1)[1].1, t(1, 5));
    let p = range(num(3.0), num(0.0));
    let vals: Vec<String> = onsets(&p, 0, 1).into_iter().map(|e| e.0).collect();
    assert_eq!(vals, vec!["3", "2", "1", "0"]);
    // [<0 1> .. <2 4>]*2 == [0 1 2] [1 2 3 4]
    let p = fast(
        t(2, 1),
        range(
            slowcat(vec![num(0.0), num(1.0)]),
            slowcat(vec![num(2.0), num(4.0)]),
        ),
    );
    let q = fastcat(vec![
        seq_nums(&[0.0, 1.0, 2.0]),
        seq_nums(&[1.0, 2.0, 3.0, 4.0]),
    ]);
    assert_eq!(onsets(&p, 0, 2), onsets(&q, 0, 2));
    // Huge ranges are silent rather than allocating.
    assert_eq!(onsets(&range(num(0.0), num(1e12)), 0, 1), vec![]);
}

#[test]
fn every_and_whenmod() {
    let a = w("a");
    let b = w("b");
    let p = every(3, 0, b.clone(), a.clone());
    let vals: Vec<String> = onsets(&p, 0, 7).into_iter().map(|e| e.0).collect();
    assert_eq!(vals, vec!["b", "a", "a", "b", "a", "a", "b"]);
    let p = every(3, 1, b.clone(), a.clone());
    let vals: Vec<String> = onsets(&p, 0, 4).into_iter().map(|e| e.0).collect();
    assert_eq!(vals, vec!["a", "b", "a", "a"]);
    let p = every(0, 0, b.clone(), a.clone());
    assert!(onsets(&p, 0, 4).iter().all(|e| e.0 == "a"));
    let p = whenmod(4, 2, b.clone(), a.clone());
    let vals: Vec<String> = onsets(&p, 0, 8).into_iter().map(|e| e.0).collect();
    assert_eq!(vals, vec!["a", "a", "b", "b", "a", "a", "b", "b"]);
    // negative cycles use the floored modulo
    let p = every(2, 0, b, a);
    assert_eq!(onsets(&p, -2, -1)[0].0, "b");
}

#[test]
fn onset_within() {
    let p = Pat::OnsetWithin {
        begin: t(0, 1),
        end: t(1, 2),
        invert: false,
        pat: seq_words(&["a", "b", "c", "d"]),
    };
    let vals: Vec<String> = onsets(&p, 0, 1).into_iter().map(|e| e.0).collect();
    assert_eq!(vals, vec!["a", "b"]);
    let p = Pat::OnsetWithin {
        begin: t(0, 1),
        end: t(1, 2),
        invert: true,
        pat: seq_words(&["a", "b", "c", "d"]),
    };
    let vals: Vec<String> = onsets(&p, 0, 1).into_iter().map(|e| e.0).collect();
    assert_eq!(vals, vec!["c", "d"]);
}

#[test]
fn ply_repeats_within_each_event() {
    let p = ply(t(2, 1), seq_words(&["a", "b"]));
    assert_eq!(
        onsets(&p, 0, 1),
        ev(&[
            ("a", (0, 1), (1, 4)),
            ("a", (1, 4), (1, 2)),
            ("b", (1, 2), (3, 4)),
            ("b", (3, 4), (1, 1))
        ])
    );
    // Fractional ply cuts the last repeat at the event's end.
    let p = ply(t(3, 2), w("a"));
    assert_eq!(
        onsets(&p, 0, 1),
        ev(&[("a", (0, 1), (2, 3)), ("a", (2, 3), (1, 1))])
    );
}

#[test]
fn app_takes_structure_from_the_left() {
    // "0 1" + "10 20 30": left events take the right value at their onset.
    let p = app(
        BinOp::Add,
        seq_nums(&[0.0, 1.0]),
        seq_nums(&[10.0, 20.0, 30.0]),
    );
    assert_eq!(
        onsets(&p, 0, 1),
        ev(&[("10", (0, 1), (1, 2)), ("21", (1, 2), (1, 1))])
    );
    // The left event is fragmented where the right changes; only one onset each.
    let all = query(&p, t(0, 1), t(1, 1));
    assert_eq!(all.len(), 4);
    // Note names are numbers.
    let p = app(BinOp::Add, word("e"), num(12.0));
    assert_eq!(onsets(&p, 0, 1), ev(&[("16", (0, 1), (1, 1))]));
    // Arithmetic on words gives rests; division by zero too; comparisons give booleans.
    let p = app(BinOp::Add, word("bd"), num(1.0));
    assert_eq!(onsets(&p, 0, 1)[0].0, "~");
    let p = app(BinOp::Div, num(1.0), num(0.0));
    assert_eq!(onsets(&p, 0, 1)[0].0, "~");
    let p = app(BinOp::Mod, num(-1.0), num(3.0));
    assert_eq!(onsets(&p, 0, 1)[0].0, "2");
    let p = app(BinOp::Lt, num(1.0), num(2.0));
    assert_eq!(onsets(&p, 0, 1)[0].0, "true");
    let p = app(BinOp::Right, seq_words(&["a", "b"]), word("x"));
    assert_eq!(onsets(&p, 0, 1).len(), 2);
    assert!(onsets(&p, 0, 1).iter().all(|e| e.0 == "x"));
    let p = app(BinOp::Left, w("a"), seq_words(&["x", "y"]));
    assert_eq!(onsets(&p, 0, 1), ev(&[("a", (0, 1), (1, 1))]));
    // Chords transpose element-wise.
    let chord = pure(Value::Chord(vec![Value::Num(0.0), Value::Num(4.0)].into()));
    let p = app(BinOp::Add, chord, num(12.0));
    assert_eq!(onsets(&p, 0, 1)[0].0, "[12,16]");
}

#[test]
fn map_values() {
    let p = map(UnOp::Neg, seq_nums(&[1.0, -2.0]));
    let vals: Vec<String> = onsets(&p, 0, 1).into_iter().map(|e| e.0).collect();
    assert_eq!(vals, vec!["-1", "2"]);
    let p = map(UnOp::Recip, seq_nums(&[4.0, 0.0]));
    let vals: Vec<String> = onsets(&p, 0, 1).into_iter().map(|e| e.0).collect();
    assert_eq!(vals, vec!["0.25", "~"]);
    let p = map(UnOp::Not, boolean(true));
    assert_eq!(onsets(&p, 0, 1)[0].0, "false");
}

#[test]
fn struct_and_mask() {
    // struct "t ~ t t" "a"
    let mask_p = fastcat(vec![
        boolean(true),
        silence(),
        boolean(true),
        boolean(false),
    ]);
    let p = structure(mask_p, seq_words(&["a", "b"]));
    assert_eq!(
        onsets(&p, 0, 1),
        ev(&[("a", (0, 1), (1, 4)), ("b", (1, 2), (3, 4))])
    );
    // mask "1 0" "a*4"
    let p = mask(
        fastcat(vec![boolean(true), boolean(false)]),
        fast(t(4, 1), w("a")),
    );
    assert_eq!(
        onsets(&p, 0, 1),
        ev(&[("a", (0, 1), (1, 4)), ("a", (1, 4), (1, 2))])
    );
    // mask cuts long events to the true fragments.
    let p = mask(fastcat(vec![boolean(false), boolean(true)]), w("a"));
    let all = query(&p, t(0, 1), t(1, 1));
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].part, span(t(1, 2), t(1, 1)));
    assert!(!all[0].has_onset());
}

#[test]
fn arp_modes() {
    let chord = stack(vec![num(0.0), num(4.0), num(7.0)]);
    let vals = |m: ArpMode| -> Vec<String> {
        onsets(&arp(m, chord.clone()), 0, 1)
            .into_iter()
            .map(|e| e.0)
            .collect()
    };
    assert_eq!(vals(ArpMode::Up), vec!["0", "4", "7"]);
    assert_eq!(vals(ArpMode::Down), vec!["7", "4", "0"]);
    assert_eq!(vals(ArpMode::UpDown), vec!["0", "4", "7", "4"]);
    assert_eq!(vals(ArpMode::DownUp), vec!["7", "4", "0", "4"]);
    assert_eq!(vals(ArpMode::Converge), vec!["0", "7", "4"]);
    assert_eq!(vals(ArpMode::Diverge), vec!["4", "7", "0"]);
    let mut r = vals(ArpMode::Random);
    r.sort();
    assert_eq!(r, vec!["0", "4", "7"]);
    assert_eq!(
        onsets(&arp(ArpMode::Up, chord.clone()), 0, 1),
        ev(&[
            ("0", (0, 1), (1, 3)),
            ("4", (1, 3), (2, 3)),
            ("7", (2, 3), (1, 1))
        ])
    );
    // Chord values spread the same way.
    let cv = pure(Value::Chord(
        vec![Value::Num(0.0), Value::Num(3.0), Value::Num(7.0)].into(),
    ));
    let v: Vec<String> = onsets(&arp(ArpMode::Down, cv), 0, 1)
        .into_iter()
        .map(|e| e.0)
        .collect();
    assert_eq!(v, vec!["7", "3", "0"]);
    // Onsets survive any tiling.
    let p = arp(ArpMode::Up, chord);
    let mut tiled = Vec::new();
    for i in 0..12 {
        tiled.extend(
            query(&p, t(i, 12), t(i + 1, 12))
                .into_iter()
                .filter(|h| h.has_onset())
                .map(|h| show(&h.value)),
        );
    }
    assert_eq!(tiled, vec!["0", "4", "7"]);
}

#[test]
fn gain_multiplies() {
    let p = Pat::Gain {
        factor: 0.5,
        pat: Pat::Gain {
            factor: 0.5,
            pat: w("a"),
        }
        .rc(),
    };
    assert_eq!(query(&p, t(0, 1), t(1, 1))[0].gain, 0.25);
}

#[test]
fn struct_reads_mini_notation_booleans() {
    // struct "t f t" with words, as the mini-notation parser may leave them.
    let p = structure(seq_words(&["t", "f", "t"]), w("a"));
    let begins: Vec<Time> = onsets(&p, 0, 1).into_iter().map(|e| e.1).collect();
    assert_eq!(begins, vec![t(0, 1), t(2, 3)]);
}

#[test]
fn ranges_read_note_names() {
    let p = range(word("c"), word("e"));
    let vals: Vec<String> = onsets(&p, 0, 1).into_iter().map(|e| e.0).collect();
    assert_eq!(vals, vec!["0", "1", "2", "3", "4"]);
    assert_eq!(onsets(&range(word("bd"), num(3.0)), 0, 1), vec![]);
}

#[test]
fn signals_as_values_sample_the_left_whole() {
    // "0 0" + saw: each left event reads saw at the midpoint of its whole (Tidal appLeft
    // queries the right side over the left whole, and `sig` samples the span's middle).
    let p = app(
        BinOp::Add,
        seq_nums(&[0.0, 0.0]),
        signal(patter_pattern::SignalKind::Saw, 0),
    );
    let vals: Vec<String> = onsets(&p, 0, 1).into_iter().map(|e| e.0).collect();
    assert_eq!(vals, vec!["0.25", "0.75"]);
    // Random signals with different seeds differ.
    let a = query(
        &signal(patter_pattern::SignalKind::Rand, 0),
        t(1, 3),
        t(1, 3),
    );
    let b = query(
        &signal(patter_pattern::SignalKind::Rand, 1),
        t(1, 3),
        t(1, 3),
    );
    assert_ne!(a[0].value, b[0].value);
}

#[test]
fn rev_of_a_long_event_follows_tidal() {
    // rev (slow 2 a): cycle 0 reflects [0,2) to [-1,1) (no onset); cycle 1 gives [1,3).
    let p = rev(slow(t(2, 1), w("a")));
    assert_eq!(onsets(&p, 0, 1), vec![]);
    assert_eq!(onsets(&p, 1, 2), ev(&[("a", (1, 1), (3, 1))]));
}
