//! Random operators: `degradeBy`/`unDegradeBy` and the mini-notation's `|` choice, both
//! pure functions of time through [`crate::rand`].

use super::{ops, retain_tail, sub_maybe, Budget, Overrun};
use crate::pat::{Hap, Pat, PatRef};
use crate::rand::rand;
use crate::time::{Time, TimeSpan};

/// Tidal `_degradeByUsing (rotL (0.0001·seed) rand)`: keep a hap iff the random value at
/// its whole's start is `>= amount`; `invert` (`unDegradeBy`) keeps exactly the others, so
/// `sometimesBy` partitions the events. The amount is patterned (`tParam`).
pub(crate) fn degrade(
    amount: &Pat,
    seed: u32,
    invert: bool,
    pat: &Pat,
    span: TimeSpan,
    budget: &mut Budget,
    out: &mut Vec<Hap>,
) -> Result<(), Overrun> {
    ops::with_param(amount, span, budget, out, &mut |v, s, b, o| {
        let Some(x) = v.as_num() else { return Ok(()) };
        let start = o.len();
        pat.query(s, b, o)?;
        retain_tail(o, start, |h| (rand(h.onset(), seed) >= x) != invert);
        Ok(())
    })
}

/// The option the `|` choice plays in cycle `c`: `floor(rand(c + 0.0001·seed) · n)`.
pub(crate) fn choice_index(seed: u32, cycle: i64, n: usize) -> usize {
    let r = rand(Time::int(cycle), seed);
    ((r * n as f64).floor() as usize).min(n.saturating_sub(1))
}

/// Mini-notation `[a|b|c]` (Tidal `unwrap $ segment 1 $ chooseBy rand' xs`): one option
/// per cycle, playing that cycle of itself, with wholes cut to the cycle.
pub(crate) fn rand_choice(
    seed: u32,
    options: &[PatRef],
    span: TimeSpan,
    budget: &mut Budget,
    out: &mut Vec<Hap>,
) -> Result<(), Overrun> {
    if options.is_empty() {
        return Ok(());
    }
    for piece in span.cycles() {
        budget.spend(1)?;
        let cyc = piece.begin.sam();
        let i = choice_index(seed, cyc.floor_int(), options.len());
        let Some(p) = options.get(i) else { continue };
        let start = out.len();
        p.query(piece, budget, out)?;
        let cycle = TimeSpan::new(cyc, cyc + Time::ONE);
        retain_tail(out, start, |h| {
            let Some(whole) = sub_maybe(Some(cycle), h.whole) else {
                return false;
            };
            let Some(part) = piece.intersect(h.part) else {
                return false;
            };
            h.whole = whole;
            h.part = part;
            true
        });
    }
    Ok(())
}
