//! Convenience constructors for building [`Pat`] trees by hand (tests, benches, and the
//! language's lowering), mirroring Tidal's function names.

use std::sync::Arc;

use crate::pat::{ArpMode, BinOp, CycleCond, Pat, PatRef, SignalKind, UnOp};
use crate::time::Time;
use crate::value::Value;

/// `silence`.
pub fn silence() -> PatRef {
    Arc::new(Pat::Silence)
}

/// `pure v`.
pub fn pure(v: Value) -> PatRef {
    Arc::new(Pat::Pure(v))
}

/// `pure` of a number.
pub fn num(x: f64) -> PatRef {
    pure(Value::Num(x))
}

/// `pure` of a word.
pub fn word(s: &str) -> PatRef {
    pure(Value::str(s))
}

/// `pure` of a boolean.
pub fn boolean(b: bool) -> PatRef {
    pure(Value::Bool(b))
}

/// `stack`.
pub fn stack(ps: Vec<PatRef>) -> PatRef {
    Arc::new(Pat::Stack(ps))
}

/// `fastcat`: equal steps in one cycle (a mini-notation sequence).
pub fn fastcat(ps: Vec<PatRef>) -> PatRef {
    Arc::new(Pat::TimeCat(
        ps.into_iter().map(|p| (Time::ONE, p)).collect(),
    ))
}

/// `timeCat`: weighted steps in one cycle.
pub fn timecat(ps: Vec<(Time, PatRef)>) -> PatRef {
    Arc::new(Pat::TimeCat(ps))
}

/// `cat`/`slowcat`: one pattern per cycle (mini-notation `<a b>`).
pub fn slowcat(ps: Vec<PatRef>) -> PatRef {
    Arc::new(Pat::SlowCat(ps))
}

/// A sequence of numbers (`"0 1 2"`).
pub fn seq_nums(xs: &[f64]) -> PatRef {
    fastcat(xs.iter().map(|x| num(*x)).collect())
}

/// A sequence of words (`"bd sn hh"`); `"~"` is a rest (silence).
pub fn seq_words(ws: &[&str]) -> PatRef {
    fastcat(
        ws.iter()
            .map(|w| if *w == "~" { silence() } else { word(w) })
            .collect(),
    )
}

/// A Time as a numeric pattern value (exact for the fractions `Time::from_f64` recovers).
fn time_value(t: Time) -> PatRef {
    num(t.to_f64())
}

/// `fast` with a patterned factor.
pub fn fast_p(factor: PatRef, pat: PatRef) -> PatRef {
    Arc::new(Pat::Fast { factor, pat })
}

/// `fast r`.
pub fn fast(r: Time, pat: PatRef) -> PatRef {
    fast_p(time_value(r), pat)
}

/// `slow` with a patterned factor: `fast (1/factor)`.
pub fn slow_p(factor: PatRef, pat: PatRef) -> PatRef {
    fast_p(
        Arc::new(Pat::Map {
            op: UnOp::Recip,
            pat: factor,
        }),
        pat,
    )
}

/// `slow r`.
pub fn slow(r: Time, pat: PatRef) -> PatRef {
    slow_p(time_value(r), pat)
}

/// `t <~ p`: earlier by t cycles.
pub fn early(t: Time, pat: PatRef) -> PatRef {
    Arc::new(Pat::Early {
        amount: time_value(t),
        pat,
    })
}

/// `t ~> p`: later by t cycles.
pub fn late(t: Time, pat: PatRef) -> PatRef {
    early(-t, pat)
}

/// `rev`.
pub fn rev(pat: PatRef) -> PatRef {
    Arc::new(Pat::Rev(pat))
}

/// `euclidOff k n rot pat` with constant arguments.
pub fn euclid(k: i64, n: i64, rot: i64, pat: PatRef) -> PatRef {
    euclid_p(num(k as f64), num(n as f64), num(rot as f64), pat)
}

/// Euclid with patterned arguments.
pub fn euclid_p(k: PatRef, n: PatRef, rot: PatRef, pat: PatRef) -> PatRef {
    Arc::new(Pat::Euclid {
        k,
        n,
        rot,
        pat,
        bool_gaps: false,
    })
}

/// Boolean Euclid (`"t(3,8)"` as a `Pattern Bool`): false events in the gaps.
pub fn euclid_bool(k: i64, n: i64, rot: i64, pat: PatRef) -> PatRef {
    Arc::new(Pat::Euclid {
        k: num(k as f64),
        n: num(n as f64),
        rot: num(rot as f64),
        pat,
        bool_gaps: true,
    })
}

/// `degradeBy amount` with mini-notation seed index `seed`.
pub fn degrade_by(amount: f64, seed: u32, pat: PatRef) -> PatRef {
    Arc::new(Pat::Degrade {
        amount: num(amount),
        seed,
        invert: false,
        pat,
    })
}

/// `unDegradeBy amount` (the complement of [`degrade_by`] with the same seed).
pub fn undegrade_by(amount: f64, seed: u32, pat: PatRef) -> PatRef {
    Arc::new(Pat::Degrade {
        amount: num(amount),
        seed,
        invert: true,
        pat,
    })
}

/// Mini-notation `[a|b|c]`.
pub fn rand_choice(seed: u32, options: Vec<PatRef>) -> PatRef {
    Arc::new(Pat::RandChoice { seed, options })
}

/// Mini-notation `a .. b`.
pub fn range(from: PatRef, to: PatRef) -> PatRef {
    Arc::new(Pat::Range { from, to })
}

/// `every' n offset f`, with `then = f pat` precomputed.
pub fn every(n: i64, offset: i64, then: PatRef, otherwise: PatRef) -> PatRef {
    Arc::new(Pat::WhenCycle {
        cond: CycleCond::Every { n, offset },
        then,
        otherwise,
    })
}

/// `whenmod a b f`, with `then = f pat` precomputed.
pub fn whenmod(a: i64, b: i64, then: PatRef, otherwise: PatRef) -> PatRef {
    Arc::new(Pat::WhenCycle {
        cond: CycleCond::WhenMod { a, b },
        then,
        otherwise,
    })
}

/// `ply n`.
pub fn ply(n: Time, pat: PatRef) -> PatRef {
    Arc::new(Pat::Ply {
        factor: time_value(n),
        pat,
    })
}

/// A binary operation, structure from the left.
pub fn app(op: BinOp, left: PatRef, right: PatRef) -> PatRef {
    Arc::new(Pat::App { op, left, right })
}

/// A unary operation on values.
pub fn map(op: UnOp, pat: PatRef) -> PatRef {
    Arc::new(Pat::Map { op, pat })
}

/// `struct mask pat`.
pub fn structure(mask: PatRef, pat: PatRef) -> PatRef {
    Arc::new(Pat::Struct { mask, pat })
}

/// `mask mask pat`.
pub fn mask(mask: PatRef, pat: PatRef) -> PatRef {
    Arc::new(Pat::Mask { mask, pat })
}

/// `arp mode`.
pub fn arp(mode: ArpMode, pat: PatRef) -> PatRef {
    Arc::new(Pat::Arp { mode, pat })
}

/// A continuous signal.
pub fn signal(kind: SignalKind, seed: u32) -> PatRef {
    Arc::new(Pat::Signal { kind, seed })
}
