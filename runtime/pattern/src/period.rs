//! Periods of patterns in whole cycles, worked out from their structure.
//!
//! Most cycle-mode players repeat exactly: a sequence every cycle, `<a b c>` every three,
//! `every 4 rev` every four. When a bind's events repeat every `P` cycles, cycle `c` is
//! cycle `c mod P` moved by whole cycles, and the player can keep the finished events of
//! each of its `P` cycles instead of building them again (see `player.rs`). Exact time
//! makes the move exact, so the kept events equal the ones a fresh query would build.
//!
//! The analysis is conservative: `None` ("unknown") for anything random or continuous
//! (signals, `?`, `|`, random arpeggios, triggers), for patterned parameters (`fast
//! "<1 2>"`), and for periods past [`MAX_PERIOD`]. `None` only costs speed.

use crate::pat::{ArpMode, CycleCond, Pat};
use crate::query::{as_time, unary};
use crate::stream::Stream;
use crate::value::Value;

/// Longest period worth keeping events for, in cycles.
pub(crate) const MAX_PERIOD: u64 = 128;

/// Node visits allowed to one analysis: shared nodes make the tree a DAG whose walk can be
/// exponential; past this bound the answer is "unknown".
const FUEL: u32 = 4096;

/// A `P` (up to [`MAX_PERIOD`]) found by the analysis such that the pattern's
/// haps over any span moved `P` cycles later are its haps over the moved span; `None`
/// when unknown.
pub(crate) fn pat_period(p: &Pat) -> Option<u64> {
    let mut fuel = FUEL;
    pat_f(p, &mut fuel)
}

/// The period of a value stream whose values depend only on the event's onset (constants
/// and cycle patterns, combined); `None` for streams that read the event index or are
/// random, and when unknown.
pub(crate) fn stream_period(s: &Stream) -> Option<u64> {
    let mut fuel = FUEL;
    stream_f(s, &mut fuel)
}

/// Least common multiple, `None` past [`MAX_PERIOD`].
pub(crate) fn lcm(a: u64, b: u64) -> Option<u64> {
    let (mut x, mut y) = (a, b);
    while y != 0 {
        (x, y) = (y, x % y);
    }
    let l = (a / x.max(1)).checked_mul(b)?;
    (1..=MAX_PERIOD).contains(&l).then_some(l)
}

fn burn(fuel: &mut u32) -> Option<()> {
    *fuel = fuel.checked_sub(1)?;
    Some(())
}

fn all(ps: impl Iterator<Item = Option<u64>>) -> Option<u64> {
    let mut p = 1;
    for q in ps {
        p = lcm(p, q?)?;
    }
    Some(p)
}

/// The value of a parameter that is the same everywhere (`slow 2` is `fast (1/2)`, a
/// reciprocal of a constant).
fn constant(p: &Pat) -> Option<Value> {
    match p {
        Pat::Pure(v) => Some(v.clone()),
        Pat::Map { op, pat } => match &**pat {
            Pat::Pure(v) => Some(unary(*op, v)),
            _ => None,
        },
        _ => None,
    }
}

fn pat_f(p: &Pat, fuel: &mut u32) -> Option<u64> {
    burn(fuel)?;
    match p {
        Pat::Silence | Pat::Pure(_) => Some(1),
        Pat::Signal { .. }
        | Pat::Degrade { .. }
        | Pat::RandChoice { .. }
        | Pat::Trig(_)
        | Pat::Arp {
            mode: ArpMode::Random,
            ..
        } => None,
        Pat::Stack(ps) => all(ps.iter().map(|c| pat_f(c, fuel))),
        // Each step plays its pattern's cycle c in cycle c.
        Pat::TimeCat(ps) => all(ps.iter().map(|(_, c)| pat_f(c, fuel))),
        // Pattern i's cycle k plays in cycle n·k + i.
        Pat::SlowCat(ps) => {
            let l = all(ps.iter().map(|c| pat_f(c, fuel)))?;
            if ps.is_empty() {
                return Some(1);
            }
            let n = u64::try_from(ps.len()).ok()?;
            lcm(1, n.checked_mul(l)?)
        }
        Pat::Fast { factor, pat } => {
            let v = constant(factor)?;
            let Some(r) = as_time(&v) else {
                // Not a number: silence.
                return Some(1);
            };
            if r.is_zero() {
                return Some(1);
            }
            let q = pat_f(pat, fuel)?;
            // fast (a/b): cycle t plays the inner pattern at t·a/b, so a shift of P' is a
            // shift of P'·a/b inside, a multiple of q when P' = q·b / gcd(a, q·b).
            let a = r.num().unsigned_abs();
            let b = r.den().unsigned_abs();
            let qb = q.checked_mul(b)?;
            let (mut x, mut y) = (a, qb);
            while y != 0 {
                (x, y) = (y, x % y);
            }
            lcm(1, qb / x.max(1))
        }
        Pat::Early { amount, pat } => match as_time(&constant(amount)?) {
            Some(_) => pat_f(pat, fuel),
            None => Some(1),
        },
        Pat::Rev(pat)
        | Pat::OnsetWithin { pat, .. }
        | Pat::Map { pat, .. }
        | Pat::Gain { pat, .. }
        | Pat::Arp { pat, .. } => pat_f(pat, fuel),
        Pat::Euclid { k, n, rot, pat, .. } => {
            // Fixed arguments: each pulse plays the pattern's cycle c in cycle c.
            match (&**k, &**n, &**rot) {
                (Pat::Pure(_), Pat::Pure(_), Pat::Pure(_)) => pat_f(pat, fuel),
                _ => None,
            }
        }
        Pat::Ply { factor, pat } => match &**factor {
            Pat::Pure(_) => pat_f(pat, fuel),
            _ => None,
        },
        Pat::Range { from: a, to: b }
        | Pat::App {
            left: a, right: b, ..
        }
        | Pat::Struct { mask: a, pat: b }
        | Pat::Mask { mask: a, pat: b } => lcm(pat_f(a, fuel)?, pat_f(b, fuel)?),
        Pat::WhenCycle {
            cond,
            then,
            otherwise,
        } => {
            let every = match *cond {
                CycleCond::Every { n, .. } => n,
                CycleCond::WhenMod { a, .. } => a,
            };
            let rest = pat_f(otherwise, fuel)?;
            if every <= 0 {
                // The condition never holds.
                return Some(rest);
            }
            let every = u64::try_from(every).ok()?;
            lcm(lcm(every, rest)?, pat_f(then, fuel)?)
        }
    }
}

fn stream_f(s: &Stream, fuel: &mut u32) -> Option<u64> {
    burn(fuel)?;
    match s {
        Stream::Const(_) => Some(1),
        Stream::Cycle(p) => pat_f(p, fuel),
        Stream::Chord(ps) => all(ps.iter().map(|c| stream_f(c, fuel))),
        Stream::Bin { left, right, .. } => lcm(stream_f(left, fuel)?, stream_f(right, fuel)?),
        Stream::Un { stream, .. } => stream_f(stream, fuel),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::pat::PatRef;
    use crate::time::Time;
    use std::sync::Arc;

    fn pure(x: f64) -> PatRef {
        Pat::num(x)
    }

    fn seq(n: usize) -> PatRef {
        Arc::new(Pat::TimeCat(
            (0..n).map(|i| (Time::ONE, pure(i as f64))).collect(),
        ))
    }

    fn fast(r: f64, p: PatRef) -> PatRef {
        Arc::new(Pat::Fast {
            factor: pure(r),
            pat: p,
        })
    }

    #[test]
    fn periods_of_common_shapes() {
        assert_eq!(pat_period(&seq(4)), Some(1));
        let alt = Arc::new(Pat::SlowCat(vec![pure(0.0), pure(1.0), pure(2.0)]));
        assert_eq!(pat_period(&alt), Some(3));
        let nested = Arc::new(Pat::TimeCat(vec![
            (Time::ONE, alt.clone()),
            (
                Time::ONE,
                Arc::new(Pat::SlowCat(vec![pure(3.0), pure(4.0)])),
            ),
        ]));
        assert_eq!(pat_period(&nested), Some(6));
        assert_eq!(pat_period(&fast(0.5, seq(3))), Some(2));
        assert_eq!(pat_period(&fast(1.5, seq(3))), Some(2));
        assert_eq!(pat_period(&fast(3.0, alt.clone())), Some(1));
        assert_eq!(pat_period(&fast(2.0, alt.clone())), Some(3));
        assert_eq!(pat_period(&fast(0.0, alt.clone())), Some(1));
        let every = Pat::WhenCycle {
            cond: CycleCond::Every { n: 4, offset: 0 },
            then: Arc::new(Pat::Rev(seq(4))),
            otherwise: seq(4),
        };
        assert_eq!(pat_period(&every), Some(4));
        let random = Pat::Degrade {
            amount: pure(0.5),
            seed: 0,
            invert: false,
            pat: seq(4),
        };
        assert_eq!(pat_period(&random), None);
        let patterned = Pat::Fast {
            factor: alt.clone(),
            pat: seq(2),
        };
        assert_eq!(pat_period(&patterned), None);
        // Too long to keep.
        assert_eq!(pat_period(&fast(1.0 / 1000.0, seq(2))), None);
    }

    #[test]
    fn streams_of_constants_and_cycles_have_periods_random_ones_none() {
        let c = Arc::new(Stream::Const(Value::Num(1.0)));
        assert_eq!(stream_period(&c), Some(1));
        let alt = Arc::new(Pat::SlowCat(vec![pure(0.0), pure(1.0)]));
        let cyc = Arc::new(Stream::Cycle(alt));
        let sum = Stream::Bin {
            op: crate::pat::BinOp::Add,
            left: cyc,
            right: c.clone(),
        };
        assert_eq!(stream_period(&sum), Some(2));
        let rand = Stream::Rand {
            items: vec![c],
            repeats: None,
            seed: 1,
        };
        assert_eq!(stream_period(&rand), None);
    }
}
