//! Building [`Pat`] nodes the way Tidal's `ParseBP.toPat` does, with the trivial cases folded
//! away (a one-step sequence is its step, `fast 1 p` is `p`, `fast 0 p` is silence) so the
//! lowered tree stays small.

use std::sync::Arc;

use patter_pattern::{BinOp, Pat, PatRef, Time, UnOp, Value};

/// A speed factor, polymeter step count or similar argument after `*`, `/` or `%`.
#[derive(Clone, Debug)]
pub(super) enum Factor {
    /// A literal number, kept exact.
    Lit(Time),
    /// A pattern (`a*<2 3>`).
    Pat(PatRef),
}

/// A parsed sequence: its steps with their weights (feet and `!` already resolved).
#[derive(Clone, Debug, Default)]
pub(super) struct Seq {
    /// `(weight, step)`, weights > 0.
    pub items: Vec<(Time, PatRef)>,
}

impl Seq {
    /// Total weight: the number of steps a polymeter counts for this sequence.
    pub fn weight(&self) -> Time {
        self.items.iter().fold(Time::ZERO, |acc, (w, _)| acc + *w)
    }

    /// Tidal's `resolve_seq`: a weighted `timeCat`.
    pub fn pat(&self) -> PatRef {
        match self.items.as_slice() {
            [] => silence(),
            // timeCat of one step compresses it into the whole cycle: the identity.
            [(_, only)] => only.clone(),
            items => Pat::TimeCat(items.to_vec()).rc(),
        }
    }
}

pub(super) fn silence() -> PatRef {
    Arc::new(Pat::Silence)
}

fn is_silence(p: &PatRef) -> bool {
    matches!(**p, Pat::Silence)
}

fn num(t: Time) -> PatRef {
    Pat::num(t.to_f64())
}

/// True when `p` is the literal number `x`.
pub(super) fn is_num(p: &PatRef, x: f64) -> bool {
    matches!(&**p, Pat::Pure(Value::Num(v)) if *v == x)
}

/// `stack`, without its silent layers.
pub(super) fn stack(pats: Vec<PatRef>) -> PatRef {
    let mut layers: Vec<PatRef> = pats.into_iter().filter(|p| !is_silence(p)).collect();
    match layers.len() {
        0 => silence(),
        1 => layers.pop().unwrap_or_else(silence),
        _ => Pat::Stack(layers).rc(),
    }
}

/// `fast factor pat`.
pub(super) fn fast(factor: Factor, pat: PatRef) -> PatRef {
    if is_silence(&pat) {
        return pat;
    }
    match factor {
        Factor::Lit(t) if t.is_zero() => silence(),
        Factor::Lit(t) if t == Time::ONE => pat,
        Factor::Lit(t) => Pat::Fast {
            factor: num(t),
            pat,
        }
        .rc(),
        Factor::Pat(factor) => Pat::Fast { factor, pat }.rc(),
    }
}

/// `slow factor pat`: `fast` by the reciprocal.
pub(super) fn slow(factor: Factor, pat: PatRef) -> PatRef {
    match factor {
        Factor::Lit(t) => match Time::ONE.checked_div(t) {
            Some(r) => fast(Factor::Lit(r), pat),
            None => silence(),
        },
        Factor::Pat(p) => fast(
            Factor::Pat(
                Pat::Map {
                    op: UnOp::Recip,
                    pat: p,
                }
                .rc(),
            ),
            pat,
        ),
    }
}

/// Tidal's `TPat_Polyrhythm`: each sequence sped up by `steps / its weight`, all stacked.
/// `<…>` is this with one step per cycle; `{…}` without `%` takes the first sequence's weight.
pub(super) fn polymeter(seqs: &[Seq], steps: Option<Factor>) -> PatRef {
    let steps =
        steps.unwrap_or_else(|| Factor::Lit(seqs.first().map(Seq::weight).unwrap_or(Time::ZERO)));
    let layers = seqs
        .iter()
        .filter_map(|seq| {
            let w = seq.weight();
            if w <= Time::ZERO {
                return None;
            }
            let factor = match &steps {
                Factor::Lit(k) => Factor::Lit(*k / w),
                Factor::Pat(k) if w == Time::ONE => Factor::Pat(k.clone()),
                Factor::Pat(k) => Factor::Pat(
                    Pat::App {
                        op: BinOp::Div,
                        left: k.clone(),
                        right: num(w),
                    }
                    .rc(),
                ),
            };
            Some(fast(factor, seq.pat()))
        })
        .collect();
    stack(layers)
}
