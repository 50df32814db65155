//! Root streams prepared for evaluation event after event.
//!
//! A player evaluates every key's root stream at every event, and most keys are one of a
//! few shapes: a constant, a sequence of or a random pick among plain values (`seq`,
//! `rand`, `choose`, `xrand`), white noise or a brown walk between constant bounds, and
//! operators on such streams (`seq([0, 2, 4]) + 7`). [`Roots`] recognises those once per
//! bind and evaluates them directly, keeping a walk's state in itself instead of in the
//! memo's hash map; any other stream goes through [`eval`]. The values are exactly
//! [`eval`]'s (the tests below compare them at increasing, repeated and sought indices),
//! and the budget is charged one step per evaluation and per walk step, as [`eval`] does.

use super::{
    apply_bin, apply_un, below, eval, fold, mix, mul_len, repeats_len, seq_item, unit, xrand_step,
    Ev, Len, TAG_INIT, TAG_LEFT, TAG_RIGHT,
};
use crate::pat::{BinOp, UnOp};
use crate::query::Overrun;
use crate::stream::{Stream, StreamCtx};
use crate::value::Value;

/// The prepared root streams of one bind's keys, by key position.
#[derive(Clone, Debug, Default)]
pub(crate) struct Roots {
    /// The bind's salt these were prepared with (a key's salt is `mix(salt, position)`).
    salt: Option<u64>,
    roots: Vec<Root>,
}

impl Roots {
    /// Prepare the roots of a bind's `keys` (its streams in key order) under the bind's
    /// `salt`, unless they are prepared already. The streams must be the same at every
    /// call with the same salt (the player cache is rebuilt when the program changes).
    pub(crate) fn prepare<'s>(
        &mut self,
        keys: impl ExactSizeIterator<Item = &'s Stream>,
        salt: u64,
    ) {
        if self.salt != Some(salt) || self.roots.len() != keys.len() {
            self.roots = keys
                .enumerate()
                .map(|(i, s)| {
                    let mut fuel = MAX_NODES;
                    Root::of(s, mix(salt, i as u64), &mut fuel)
                })
                .collect();
            self.salt = Some(salt);
        }
    }

    /// The value of key `ki`'s stream `s` at `ctx` (`None` = ended), as
    /// `root_at(s, ctx, mix(salt, ki), ev)` gives it, `salt` being the one the roots were
    /// last [prepared](Roots::prepare) with.
    pub(crate) fn eval(
        &mut self,
        ki: usize,
        s: &Stream,
        ctx: StreamCtx,
        ev: &mut Ev,
    ) -> Result<Option<Value>, Overrun> {
        match self.roots.get_mut(ki) {
            Some(root) => root.eval(s, ctx, ev),
            None => super::root_at(s, ctx, mix(self.salt.unwrap_or(0), ki as u64), ev),
        }
    }
}

/// One key's root stream, classified.
#[derive(Clone, Debug)]
struct Root {
    shape: Shape,
    /// Values the stream has (`length` or `repeats`; forever for the shapes without).
    count: Len,
    /// The key's salt.
    salt: u64,
    /// `mix(seed, salt)` for the shape's seed: the first half of `hash3`, done once.
    seeded: u64,
}

#[derive(Clone, Debug)]
enum Shape {
    Const(Value),
    /// `seq` of constants: item `index + offset` (wrapping).
    Seq {
        items: Box<[Value]>,
        offset: i64,
    },
    /// An operator on two streams, each prepared.
    Bin {
        op: BinOp,
        left: Box<Root>,
        right: Box<Root>,
    },
    /// A unary operator on a prepared stream.
    Un {
        op: UnOp,
        inner: Box<Root>,
    },
    /// `rand` / `choose` among constants: item `below(hash, n)` at each index.
    Pick {
        items: Box<[Value]>,
    },
    /// `xrand` among constants: a chain of picks; the last `(index, item)` is kept.
    XPick {
        items: Box<[Value]>,
        last: Option<(u64, u64)>,
    },
    /// `white` between constant bounds (`None`: a bound that is not a number).
    White {
        lo: Option<f64>,
        hi: Option<f64>,
    },
    /// `brown` with constant bounds and step; the walk's `(parameters consumed, value)`.
    Brown {
        lo: f64,
        hi: f64,
        step: f64,
        walk: Option<(u64, f64)>,
    },
    General,
}

fn consts(items: &[crate::stream::StreamRef]) -> Option<Box<[Value]>> {
    items
        .iter()
        .map(|it| match &**it {
            Stream::Const(v) => Some(v.clone()),
            _ => None,
        })
        .collect()
}

fn const_num(s: &Stream) -> Option<Option<f64>> {
    match s {
        Stream::Const(v) => Some(v.as_num()),
        _ => None,
    }
}

/// Most stream nodes prepared for one key (a shared node counts at each use, so this also
/// bounds a deep DAG of shared nodes); the rest go through [`eval`].
const MAX_NODES: u32 = 64;

impl Root {
    fn of(s: &Stream, salt: u64, fuel: &mut u32) -> Root {
        let root = |shape, count, seed| Root {
            shape,
            count,
            salt,
            seeded: mix(seed, salt),
        };
        let general = root(Shape::General, Len::Inf, 0);
        let Some(left) = fuel.checked_sub(1) else {
            return general;
        };
        *fuel = left;
        match s {
            Stream::Const(v) => root(Shape::Const(v.clone()), Len::Inf, 0),
            Stream::Seq {
                items,
                repeats,
                offset,
            } if !items.is_empty() => match consts(items) {
                Some(values) => root(
                    Shape::Seq {
                        items: values,
                        offset: *offset,
                    },
                    mul_len(Len::Fin(items.len() as u64), *repeats),
                    0,
                ),
                None => general,
            },
            Stream::Bin { op, left, right } => root(
                Shape::Bin {
                    op: *op,
                    left: Box::new(Root::of(left, mix(salt, TAG_LEFT), fuel)),
                    right: Box::new(Root::of(right, mix(salt, TAG_RIGHT), fuel)),
                },
                Len::Inf,
                0,
            ),
            Stream::Un { op, stream } => root(
                Shape::Un {
                    op: *op,
                    inner: Box::new(Root::of(stream, salt, fuel)),
                },
                Len::Inf,
                0,
            ),
            Stream::Rand {
                items,
                repeats,
                seed,
            } if !items.is_empty() => match consts(items) {
                Some(items) => root(Shape::Pick { items }, repeats_len(*repeats), *seed),
                None => general,
            },
            Stream::XRand {
                items,
                repeats,
                seed,
            } if !items.is_empty() => match consts(items) {
                Some(items) => root(
                    Shape::XPick { items, last: None },
                    repeats_len(*repeats),
                    *seed,
                ),
                None => general,
            },
            Stream::White {
                lo,
                hi,
                length,
                seed,
            } => match (const_num(lo), const_num(hi)) {
                (Some(lo), Some(hi)) => root(Shape::White { lo, hi }, repeats_len(*length), *seed),
                _ => general,
            },
            Stream::Brown {
                lo,
                hi,
                step,
                length,
                seed,
            } => match (const_num(lo), const_num(hi), const_num(step)) {
                (Some(lo), Some(hi), Some(step)) => root(
                    Shape::Brown {
                        lo: lo.unwrap_or(0.0),
                        hi: hi.unwrap_or(0.0),
                        step: step.unwrap_or(0.0),
                        walk: None,
                    },
                    repeats_len(*length),
                    *seed,
                ),
                _ => general,
            },
            _ => general,
        }
    }

    fn eval(&mut self, s: &Stream, ctx: StreamCtx, ev: &mut Ev) -> Result<Option<Value>, Overrun> {
        let idx = ctx.index;
        let seeded = self.seeded;
        if let Shape::General = self.shape {
            return eval(s, idx, self.salt, ctx.cycle, ev);
        }
        ev.budget.spend(1)?;
        if !self.count.contains(idx) {
            return Ok(None);
        }
        Ok(match &mut self.shape {
            Shape::General => None,
            Shape::Const(v) => Some(v.clone()),
            Shape::Seq { items, offset } => seq_item(items, *offset, idx).cloned(),
            Shape::Bin { op, left, right } => {
                let Stream::Bin {
                    left: ls,
                    right: rs,
                    ..
                } = s
                else {
                    return Ok(None);
                };
                let Some(a) = left.eval(ls, ctx, ev)? else {
                    return Ok(None);
                };
                let Some(b) = right.eval(rs, ctx, ev)? else {
                    return Ok(None);
                };
                Some(apply_bin(*op, &a, &b))
            }
            Shape::Un { op, inner } => {
                let Stream::Un { stream, .. } = s else {
                    return Ok(None);
                };
                inner.eval(stream, ctx, ev)?.map(|v| apply_un(*op, &v))
            }
            Shape::Pick { items } => {
                let k = below(mix(seeded, idx), items.len() as u64);
                items.get(k as usize).cloned()
            }
            Shape::XPick { items, last } => {
                let n = items.len() as u64;
                let (mut m, mut k) = match *last {
                    Some((m, k)) if m <= idx => (m + 1, k),
                    _ => (0, below(mix(seeded, TAG_INIT), n)),
                };
                while m <= idx {
                    ev.budget.spend(1)?;
                    k = xrand_step(mix(seeded, m), n, k);
                    m += 1;
                }
                *last = Some((idx, k));
                items.get(k as usize).cloned()
            }
            Shape::White { lo, hi } => Some(match (*lo, *hi) {
                (Some(lo), Some(hi)) => Value::Num(lo + (hi - lo) * unit(mix(seeded, idx))),
                _ => Value::Rest,
            }),
            Shape::Brown { lo, hi, step, walk } => {
                let (l, h, st) = (*lo, *hi, *step);
                // As `brown`: parameters 0 set the start, value i uses parameters i + 1,
                // so the walk holding value i has consumed i + 2.
                let target = idx.saturating_add(2);
                let (mut m, mut val) = match *walk {
                    Some((m, val)) if m <= target => (m, val),
                    _ => (1, l + (h - l) * unit(mix(seeded, TAG_INIT))),
                };
                while m < target {
                    ev.budget.spend(1)?;
                    let r = unit(mix(seeded, m)) * 2.0 - 1.0;
                    val = fold(val + st * r, l, h);
                    m += 1;
                }
                *walk = Some((m, val));
                Some(Value::Num(val))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::query::Budget;
    use crate::stream::StreamRef;
    use crate::stream_eval::StreamMemo;
    use crate::time::Time;
    use std::sync::Arc;

    fn c(x: f64) -> StreamRef {
        Arc::new(Stream::Const(Value::Num(x)))
    }

    fn streams() -> Vec<StreamRef> {
        let items = || vec![c(0.0), c(2.0), c(4.0), c(7.0)];
        vec![
            c(0.25),
            Arc::new(Stream::Rand {
                items: items(),
                repeats: None,
                seed: 7,
            }),
            Arc::new(Stream::Rand {
                items: items(),
                repeats: Some(5),
                seed: 8,
            }),
            Arc::new(Stream::XRand {
                items: items(),
                repeats: None,
                seed: 9,
            }),
            Arc::new(Stream::XRand {
                items: vec![c(1.0)],
                repeats: Some(3),
                seed: 9,
            }),
            Arc::new(Stream::White {
                lo: c(0.1),
                hi: c(0.5),
                length: None,
                seed: 10,
            }),
            Arc::new(Stream::White {
                lo: Arc::new(Stream::Const(Value::str("x"))),
                hi: c(0.5),
                length: Some(4),
                seed: 10,
            }),
            Arc::new(Stream::Brown {
                lo: c(-1.0),
                hi: c(1.0),
                step: c(0.1),
                length: None,
                seed: 11,
            }),
            Arc::new(Stream::Brown {
                lo: c(0.0),
                hi: c(10.0),
                step: c(3.0),
                length: Some(6),
                seed: 12,
            }),
            // Not a fast shape: goes through `eval`.
            Arc::new(Stream::Shuf {
                items: vec![c(1.0), c(2.0), c(3.0)],
                repeats: None,
                seed: 13,
            }),
            Arc::new(Stream::Seq {
                items: vec![c(1.0), c(2.0), c(5.0)],
                repeats: Some(4),
                offset: -1,
            }),
            // `seq([0, 2, 4], inf) + rand([0, 12])`, negated; and an operator on a stream
            // that is not a fast shape.
            Arc::new(Stream::Un {
                op: UnOp::Neg,
                stream: Arc::new(Stream::Bin {
                    op: BinOp::Add,
                    left: Arc::new(Stream::Seq {
                        items: vec![c(0.0), c(2.0), c(4.0)],
                        repeats: None,
                        offset: 0,
                    }),
                    right: Arc::new(Stream::Rand {
                        items: vec![c(0.0), c(12.0)],
                        repeats: None,
                        seed: 14,
                    }),
                }),
            }),
            Arc::new(Stream::Bin {
                op: BinOp::Mul,
                left: Arc::new(Stream::Shuf {
                    items: vec![c(1.0), c(2.0)],
                    repeats: Some(3),
                    seed: 15,
                }),
                right: Arc::new(Stream::Brown {
                    lo: c(0.0),
                    hi: c(1.0),
                    step: c(0.2),
                    length: None,
                    seed: 16,
                }),
            }),
        ]
    }

    /// Indices as a player asks them: increasing, repeated, and jumping back (a seek).
    const INDICES: &[u64] = &[0, 1, 2, 2, 3, 10, 11, 4, 5, 6, 40, 0, 1, 7];

    #[test]
    fn prepared_roots_give_the_values_eval_gives() {
        let keys = streams();
        for salt in [0u64, 0xdead_beef] {
            let mut roots = Roots::default();
            let (mut memo, mut budget) = (StreamMemo::new(), Budget::new(1 << 20));
            let (mut fresh_memo, mut fresh_budget) = (StreamMemo::new(), Budget::new(1 << 20));
            for &i in INDICES {
                let ctx = StreamCtx {
                    index: i,
                    cycle: Time::ZERO,
                };
                for (ki, s) in keys.iter().enumerate() {
                    let mut ev = Ev {
                        memo: &mut memo,
                        budget: &mut budget,
                    };
                    roots.prepare(keys.iter().map(|s| &**s), salt);
                    let fast = roots.eval(ki, s, ctx, &mut ev).unwrap();
                    let mut ev = Ev {
                        memo: &mut fresh_memo,
                        budget: &mut fresh_budget,
                    };
                    let slow = eval(s, i, mix(salt, ki as u64), ctx.cycle, &mut ev).unwrap();
                    assert_eq!(fast, slow, "key {ki} at index {i}, salt {salt}");
                }
            }
        }
    }

    #[test]
    fn a_long_walk_is_charged_to_the_budget() {
        let keys = streams();
        let mut roots = Roots::default();
        let (mut memo, mut budget) = (StreamMemo::new(), Budget::new(1000));
        let mut ev = Ev {
            memo: &mut memo,
            budget: &mut budget,
        };
        let ctx = StreamCtx {
            index: 1 << 40,
            cycle: Time::ZERO,
        };
        let s = &keys[7];
        roots.prepare(keys.iter().map(|s| &**s), 0);
        let r = roots.eval(7, s, ctx, &mut ev);
        assert!(
            r.is_err(),
            "a walk of 2^40 steps must overrun a budget of 1000"
        );
    }
}
