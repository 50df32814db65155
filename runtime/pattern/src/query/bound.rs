//! A static upper bound on the work of querying a pattern, without querying it.
//!
//! A compiler probes each player's first cycle so that a pattern that explodes (`fast
//! 1e9`) is an error at once rather than a muted player later. Most patterns are plainly
//! small: [`Pat::work_bound`] over-estimates the steps and haps a query of a span within
//! one cycle can cost, from the tree alone, and answers `None` where it cannot tell
//! (patterned speed factors, triggers). A player whose bound is far below the probe's
//! budget need not be probed; any other still is. Every rule below over-estimates the
//! query's own accounting (see `query/mod.rs`), so a skipped probe could only have passed.

use crate::pat::Pat;
use crate::value::Value;

/// Notes in a value (a chord's, nested chords counted out).
fn notes(v: &Value) -> u64 {
    match v {
        Value::Chord(xs) => xs.iter().map(notes).fold(0u64, u64::saturating_add),
        _ => 1,
    }
}

/// Most nodes looked at for one bound (a shared node counts at each use); past it the
/// bound is unknown.
const MAX_NODES: u32 = 512;

impl Pat {
    /// An upper bound on the budget a query of a span within one cycle (`[c + a, c + b]`,
    /// `0 ≤ a ≤ b ≤ 1`) spends on this pattern, or `None` when the tree does not tell.
    pub fn work_bound(&self) -> Option<u64> {
        let mut fuel = MAX_NODES;
        self.bound(&mut fuel).map(|(w, _)| w)
    }

    /// `(work, longest whole in cycles)`; the second bounds how far an operator's right
    /// side is queried (over the left hap's whole).
    fn bound(&self, fuel: &mut u32) -> Option<(u64, f64)> {
        *fuel = fuel.checked_sub(1)?;
        let add = |a: u64, b: u64| a.checked_add(b);
        let mul = |a: u64, b: u64| a.checked_mul(b);
        // The size of a constant parameter (`None` if not a finite constant or absurdly
        // large). Read as a float: the query's conversion to exact time can only make it
        // smaller (a tiny factor becomes 0), which a bound may ignore.
        let factor = |p: &Pat| -> Option<f64> {
            match p {
                Pat::Pure(v) => {
                    let t = v.as_num()?.abs();
                    (t.is_finite() && t < 1e12).then_some(t)
                }
                _ => None,
            }
        };
        let cycles = |x: f64| -> Option<u64> {
            let c = x.ceil();
            (c.is_finite() && c < 1e12).then_some(c as u64 + 1)
        };
        Some(match self {
            Pat::Silence => (1, 0.0),
            // A chord's notes each become an event.
            Pat::Pure(v) => (add(2, notes(v))?, 1.0),
            // `tri` is sampled in half cycles.
            Pat::Signal { .. } => (3, 0.0),
            Pat::Stack(ps) => {
                let mut w = 1u64;
                let mut l = 0.0f64;
                for p in ps {
                    let (pw, pl) = p.bound(fuel)?;
                    w = add(w, pw)?;
                    l = l.max(pl);
                }
                (w, l)
            }
            // Each step is queried within one of its cycles.
            Pat::TimeCat(ps) => {
                let mut w = 1u64;
                let mut l = 0.0f64;
                for (_, p) in ps {
                    let (pw, pl) = p.bound(fuel)?;
                    w = add(w, add(pw, 2)?)?;
                    l = l.max(pl);
                }
                (w, l)
            }
            Pat::SlowCat(ps) | Pat::RandChoice { options: ps, .. } => {
                let mut w = 0u64;
                let mut l = 0.0f64;
                for p in ps {
                    let (pw, pl) = p.bound(fuel)?;
                    w = w.max(pw);
                    l = l.max(pl);
                }
                (add(w, 3)?, l)
            }
            // A span within a cycle, sped up by r, touches at most ceil(r) + 1 cycles.
            // (A negative factor also reverses: left to the query.)
            Pat::Fast { factor: f, pat } => {
                if matches!(&**f, Pat::Pure(v) if v.as_num().is_some_and(|x| x < 0.0)) {
                    return None;
                }
                let r = factor(f)?;
                let (pw, pl) = pat.bound(fuel)?;
                let l = if r > 0.0 { pl / r } else { 0.0 };
                (add(mul(cycles(r)?, add(pw, 1)?)?, 2)?, l)
            }
            // Shifted, a span within a cycle may straddle two.
            Pat::Early { amount, pat } => {
                factor(amount)?;
                let (pw, pl) = pat.bound(fuel)?;
                (add(mul(2, add(pw, 1)?)?, 2)?, pl)
            }
            Pat::Rev(pat) | Pat::Arp { pat, .. } => {
                let (pw, pl) = pat.bound(fuel)?;
                (add(mul(2, add(pw, 1)?)?, 2)?, pl)
            }
            // The pattern is squeezed into each of the n steps.
            Pat::Euclid { k, n, rot, pat, .. } => {
                factor(k)?;
                factor(rot)?;
                let steps = cycles(factor(n)?)?;
                let (pw, pl) = pat.bound(fuel)?;
                (add(mul(add(steps, 1)?, add(pw, 2)?)?, 4)?, pl)
            }
            Pat::Degrade { amount, pat, .. } => {
                factor(amount)?;
                let (pw, pl) = pat.bound(fuel)?;
                (add(mul(2, pw)?, 2)?, pl)
            }
            Pat::Range { from, to } => {
                let (a, b) = (factor(from)?, factor(to)?);
                // `factor` is |x|: the distance is at most the sum.
                (add(mul(2, cycles(a + b)?)?, 4)?, 1.0)
            }
            Pat::WhenCycle {
                then, otherwise, ..
            } => {
                let (tw, tl) = then.bound(fuel)?;
                let (ow, ol) = otherwise.bound(fuel)?;
                (add(tw.max(ow), 2)?, tl.max(ol))
            }
            Pat::OnsetWithin { pat, .. } | Pat::Map { pat, .. } | Pat::Gain { pat, .. } => {
                let (pw, pl) = pat.bound(fuel)?;
                (add(mul(2, pw)?, 1)?, pl)
            }
            Pat::Ply { factor: f, pat } => {
                let r = cycles(factor(f)?)?;
                let (pw, pl) = pat.bound(fuel)?;
                (add(mul(add(pw, 1)?, add(r, 2)?)?, 2)?, pl)
            }
            // The right side is queried over each left hap's whole.
            Pat::App { left, right, .. }
            | Pat::Struct {
                mask: left,
                pat: right,
            } => {
                let (lw, ll) = left.bound(fuel)?;
                let (rw, _) = right.bound(fuel)?;
                let per_hap = add(mul(cycles(ll)?, add(rw, 1)?)?, 1)?;
                (add(lw, mul(add(lw, 1)?, per_hap)?)?, ll)
            }
            Pat::Mask { mask, pat } => {
                let (mw, _) = mask.bound(fuel)?;
                let (pw, pl) = pat.bound(fuel)?;
                (add(mul(add(pw, 1)?, add(mw, 2)?)?, mw)?, pl)
            }
            Pat::Trig(_) => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::query::Budget;
    use crate::time::{Time, TimeSpan};
    use std::sync::Arc;

    use crate::query::test_gen::Gen;

    fn num(x: f64) -> Arc<Pat> {
        Arc::new(Pat::Pure(Value::Num(x)))
    }

    fn tree(g: &mut Gen, depth: u32) -> Arc<Pat> {
        if depth == 0 || g.below(4) == 0 {
            return num(g.below(5) as f64);
        }
        let speeds = [0.25, 0.5, 1.0, 2.0, 3.0, 1.0 / 3.0, 5.0];
        let speed = |g: &mut Gen| num(speeds[g.below(speeds.len() as u64) as usize]);
        let sub = |g: &mut Gen| tree(g, depth - 1);
        Arc::new(match g.below(10) {
            0 => Pat::Stack(vec![sub(g), sub(g)]),
            1 => Pat::TimeCat(vec![(Time::ONE, sub(g)), (Time::int(2), sub(g))]),
            2 => Pat::SlowCat(vec![sub(g), sub(g), sub(g)]),
            3 => Pat::Fast {
                factor: speed(g),
                pat: sub(g),
            },
            4 => Pat::Rev(sub(g)),
            5 => Pat::Euclid {
                k: num(3.0),
                n: num(8.0),
                rot: num(g.below(3) as f64),
                pat: sub(g),
                bool_gaps: false,
            },
            6 => Pat::Ply {
                factor: num(1.0 + g.below(3) as f64),
                pat: sub(g),
            },
            7 => Pat::App {
                op: crate::pat::BinOp::Add,
                left: sub(g),
                right: sub(g),
            },
            8 => Pat::Early {
                amount: num(0.25 * g.below(4) as f64),
                pat: sub(g),
            },
            _ => Pat::Degrade {
                amount: num(0.5),
                seed: 1,
                invert: false,
                pat: sub(g),
            },
        })
    }

    #[test]
    fn the_bound_is_never_below_what_a_query_spends() {
        let mut g = Gen(0x2545_f491_4f6c_dd1d);
        let mut known = 0;
        for _ in 0..2000 {
            let p = tree(&mut g, 5);
            let Some(bound) = p.work_bound() else {
                continue;
            };
            known += 1;
            for (c, a, b) in [
                (0, 0, 8),
                (1, 0, 8),
                (3, 2, 7),
                (-2, 5, 8),
                (4, 3, 3),
                (7, 0, 1),
            ] {
                let cycle = Time::int(c);
                let span = TimeSpan::new(cycle + Time::new(a, 8), cycle + Time::new(b, 8));
                let mut budget = Budget::new(u64::MAX / 2);
                let before = budget.remaining;
                let mut out = Vec::new();
                p.query(span, &mut budget, &mut out).unwrap();
                let spent = before - budget.remaining;
                assert!(
                    spent <= bound,
                    "{p:?} over {span:?}: spent {spent} > bound {bound}"
                );
            }
        }
        assert!(known > 1500, "only {known} bounds known");
    }

    #[test]
    fn explosive_and_patterned_speeds_are_not_called_small() {
        let fast = Pat::Fast {
            factor: num(1e8),
            pat: num(1.0),
        };
        assert!(fast.work_bound().unwrap() > 100_000_000);
        let patterned = Pat::Fast {
            factor: Arc::new(Pat::SlowCat(vec![num(1.0), num(2.0)])),
            pat: num(1.0),
        };
        assert_eq!(patterned.work_bound(), None);
        // A slow left side makes its right side be queried over long wholes.
        let slow_app = Pat::App {
            op: crate::pat::BinOp::Add,
            left: Arc::new(Pat::Fast {
                factor: num(0.001),
                pat: num(1.0),
            }),
            right: num(1.0),
        };
        let mut budget = Budget::new(u64::MAX / 2);
        slow_app
            .query(
                TimeSpan::new(Time::ZERO, Time::ONE),
                &mut budget,
                &mut Vec::new(),
            )
            .unwrap();
        let spent = u64::MAX / 2 - budget.remaining;
        assert!(
            spent >= 1000,
            "the right side is queried over 1000 cycles: {spent}"
        );
        assert!(slow_app.work_bound().unwrap() >= spent);
    }
}
