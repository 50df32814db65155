//! Bjorklund's algorithm against the whole reference table (§4).
#![allow(clippy::unwrap_used)]

use patter_pattern::bjorklund;

fn show(v: &[bool]) -> String {
    v.iter().map(|b| if *b { 'x' } else { '.' }).collect()
}

#[test]
fn reference_table() {
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
        assert_eq!(show(&bjorklund(k, n)), want, "({k},{n})");
    }
}

#[test]
fn degenerate_and_huge_inputs() {
    assert!(bjorklund(3, 0).is_empty());
    assert!(bjorklund(3, -5).is_empty());
    assert!(bjorklund(-1, 8).is_empty());
    assert!(bjorklund(3, 1 << 40).is_empty());
    assert!(bjorklund(i64::MAX, i64::MAX).is_empty());
    // Tidal's quirk: more pulses than steps gives that many pulses.
    assert_eq!(show(&bjorklund(5, 3)), "xxxxx");
    assert_eq!(show(&bjorklund(8, 8)), "xxxxxxxx");
    assert_eq!(bjorklund(1000, 65_536).iter().filter(|b| **b).count(), 1000);
}

/// A literal port of Drape's list-of-groups algorithm, as the oracle for the compact one.
fn drape(i: i64, j_total: i64) -> Vec<bool> {
    let j = (j_total - i).max(0) as usize;
    let mut xs: Vec<Vec<bool>> = vec![vec![true]; i as usize];
    let mut ys: Vec<Vec<bool>> = vec![vec![false]; j];
    let (mut a, mut b) = (i as usize, j);
    while a.min(b) > 1 {
        if a > b {
            let rest = xs.split_off(b);
            let joined: Vec<Vec<bool>> = xs
                .iter()
                .zip(ys.iter())
                .map(|(x, y)| [x.clone(), y.clone()].concat())
                .collect();
            xs = joined;
            ys = rest;
            (a, b) = (b, a - b);
        } else {
            let rest = ys.split_off(a);
            let joined: Vec<Vec<bool>> = xs
                .iter()
                .zip(ys.iter())
                .map(|(x, y)| [x.clone(), y.clone()].concat())
                .collect();
            xs = joined;
            ys = rest;
            b -= a;
        }
    }
    xs.concat().into_iter().chain(ys.concat()).collect()
}

#[test]
fn matches_the_list_algorithm_exhaustively() {
    for n in 1..=48 {
        for k in 0..=n + 3 {
            assert_eq!(bjorklund(k, n), drape(k, n), "({k},{n})");
        }
    }
}
