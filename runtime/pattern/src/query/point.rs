//! Sampling a continuous pattern at one point without building haps.
//!
//! A stream key bound to a signal (`pan: sine.slow(4).range(-1, 1)`) is sampled at every
//! event's onset: a zero-width query `[t, t]` whose one hap is the value. For trees made
//! only of signals, constants, constant `fast`/`slow`/shifts, operators and unary maps,
//! each node answers such a query with exactly one hap that is active at `t`, so the value
//! can be computed directly: [`Pat::sample_point`]. Any other tree answers `None` and is
//! queried as usual. The values are the query's (a test compares them over random trees
//! and times).

use super::combine::{binary, unary};
use super::{as_time, Budget, Overrun};
use crate::pat::Pat;
use crate::signal::signal_value;
use crate::time::Time;
use crate::value::Value;

/// Most nodes a tree sampled directly may have (a shared node counts at each use, so
/// this also bounds a deep DAG of shared nodes); larger ones are queried, under the
/// query's own limits.
const MAX_NODES: u32 = 256;

impl Pat {
    /// The value a zero-width query at `t` gives, when this is a tree of signals,
    /// constants, constant speed changes and shifts, operators and unary maps (`None`
    /// otherwise: query it). Charges the budget one step per node, as a query does.
    pub(crate) fn sample_point(
        &self,
        t: Time,
        budget: &mut Budget,
    ) -> Result<Option<Value>, Overrun> {
        let mut fuel = MAX_NODES;
        if self.point_shape(&mut fuel).is_none() {
            return Ok(None);
        }
        self.point(t, budget).map(Some)
    }

    /// Whether a zero-width query of this tree gives exactly one hap active at `t` whose
    /// value [`point`](Pat::point) computes: `Some(continuous)`, where `continuous` tells
    /// whether that hap has no whole (signals and what is built on them), or `None`.
    fn point_shape(&self, fuel: &mut u32) -> Option<bool> {
        *fuel = fuel.checked_sub(1)?;
        match self {
            Pat::Signal { .. } => Some(true),
            Pat::Pure(_) => Some(false),
            Pat::Fast { factor, pat } => match &**factor {
                Pat::Pure(v) if as_time(v).is_some_and(|r| r > Time::ZERO) => pat.point_shape(fuel),
                _ => None,
            },
            Pat::Early { amount, pat } => match &**amount {
                Pat::Pure(v) if as_time(v).is_some() => pat.point_shape(fuel),
                _ => None,
            },
            // Tidal's appLeft queries the right side over the left hap's whole: at the
            // point itself only when the left hap has none; a constant right side is the
            // same over any span.
            Pat::App { left, right, .. } => {
                let continuous = left.point_shape(fuel)?;
                right.point_shape(fuel)?;
                (continuous || matches!(**right, Pat::Pure(_))).then_some(continuous)
            }
            Pat::Map { pat, .. } => pat.point_shape(fuel),
            _ => None,
        }
    }

    /// The value at `t` of a tree [`point_shape`](Pat::point_shape) accepts.
    fn point(&self, t: Time, budget: &mut Budget) -> Result<Value, Overrun> {
        budget.spend(1)?;
        Ok(match self {
            Pat::Signal { kind, seed } => Value::Num(signal_value(*kind, *seed, t)),
            Pat::Pure(v) => v.clone(),
            Pat::Fast { factor, pat } => match &**factor {
                Pat::Pure(v) => match as_time(v) {
                    Some(r) => pat.point(t * r, budget)?,
                    None => Value::Rest,
                },
                _ => Value::Rest,
            },
            Pat::Early { amount, pat } => match &**amount {
                Pat::Pure(v) => match as_time(v) {
                    Some(a) => pat.point(t + a, budget)?,
                    None => Value::Rest,
                },
                _ => Value::Rest,
            },
            Pat::App { op, left, right } => {
                let l = left.point(t, budget)?;
                let r = right.point(t, budget)?;
                budget.spend(1)?;
                binary(*op, &l, &r)
            }
            Pat::Map { op, pat } => unary(*op, &pat.point(t, budget)?),
            _ => Value::Rest,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::pat::{BinOp, PatRef, SignalKind, UnOp};
    use crate::time::TimeSpan;
    use std::sync::Arc;

    use crate::query::test_gen::Gen;

    const KINDS: [SignalKind; 8] = [
        SignalKind::Sine,
        SignalKind::Cosine,
        SignalKind::Tri,
        SignalKind::Saw,
        SignalKind::ISaw,
        SignalKind::Square,
        SignalKind::Rand,
        SignalKind::Perlin,
    ];

    fn num(x: f64) -> PatRef {
        Arc::new(Pat::Pure(Value::Num(x)))
    }

    fn tree(g: &mut Gen, depth: u32) -> PatRef {
        let leaf = depth == 0 || g.below(3) == 0;
        if leaf {
            return match g.below(3) {
                0 => num(g.below(9) as f64 - 4.0),
                _ => Arc::new(Pat::Signal {
                    kind: KINDS[g.below(KINDS.len() as u64) as usize],
                    seed: g.below(4) as u32,
                }),
            };
        }
        let factors = [0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 1.0 / 3.0, 0.0, -2.0];
        match g.below(6) {
            0 => Arc::new(Pat::Fast {
                factor: num(factors[g.below(factors.len() as u64) as usize]),
                pat: tree(g, depth - 1),
            }),
            1 => Arc::new(Pat::Early {
                amount: num([0.0, 0.25, -0.5, 1.0 / 3.0][g.below(4) as usize]),
                pat: tree(g, depth - 1),
            }),
            2 => Arc::new(Pat::Map {
                op: [UnOp::Neg, UnOp::Not, UnOp::Recip][g.below(3) as usize],
                pat: tree(g, depth - 1),
            }),
            // Not sampled directly: the query answers for it.
            3 => Arc::new(Pat::Rev(tree(g, depth - 1))),
            _ => Arc::new(Pat::App {
                op: [BinOp::Add, BinOp::Sub, BinOp::Mul, BinOp::Div][g.below(4) as usize],
                left: tree(g, depth - 1),
                right: tree(g, depth - 1),
            }),
        }
    }

    /// What `stream_eval`'s sampling makes of a zero-width query.
    fn queried(p: &Pat, t: Time) -> Value {
        let mut haps = Vec::new();
        p.query(TimeSpan::new(t, t), &mut Budget::new(1 << 20), &mut haps)
            .unwrap();
        let mut values: Vec<Value> = haps
            .into_iter()
            .filter(|h| match h.whole {
                Some(w) => w.begin <= t && (t < w.end || w.begin == w.end),
                None => true,
            })
            .map(|h| h.value)
            .collect();
        match values.len() {
            0 => Value::Rest,
            1 => values.pop().unwrap(),
            _ => Value::Chord(Arc::from(values)),
        }
    }

    fn same(a: &Value, b: &Value) -> bool {
        match (a, b) {
            (Value::Num(x), Value::Num(y)) => {
                x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan())
            }
            _ => a == b,
        }
    }

    #[test]
    fn point_samples_equal_zero_width_queries() {
        let mut g = Gen(0x9e37_79b9_7f4a_7c15);
        let mut direct = 0;
        for _ in 0..3000 {
            let p = tree(&mut g, 4);
            let t = Time::new(g.below(4000) as i64 - 2000, 1 + g.below(48) as i64);
            let mut budget = Budget::new(1 << 20);
            if let Some(v) = p.sample_point(t, &mut budget).unwrap() {
                direct += 1;
                let q = queried(&p, t);
                assert!(same(&v, &q), "{p:?} at {t:?}: point {v:?}, query {q:?}");
            }
        }
        assert!(direct > 1000, "only {direct} trees were sampled directly");
    }

    #[test]
    fn a_deep_dag_of_shared_nodes_is_left_to_the_query() {
        let mut p: PatRef = Arc::new(Pat::Signal {
            kind: SignalKind::Saw,
            seed: 0,
        });
        for _ in 0..100 {
            p = Arc::new(Pat::App {
                op: BinOp::Add,
                left: p.clone(),
                right: p,
            });
        }
        let mut budget = Budget::new(1 << 20);
        assert_eq!(p.sample_point(Time::ZERO, &mut budget), Ok(None));
    }

    #[test]
    fn a_point_sample_is_charged_to_the_budget() {
        let p = Pat::App {
            op: BinOp::Add,
            left: Arc::new(Pat::Signal {
                kind: SignalKind::Sine,
                seed: 0,
            }),
            right: num(1.0),
        };
        assert!(p.sample_point(Time::ZERO, &mut Budget::new(2)).is_err());
    }
}
