//! Combining patterns: Tidal's `appLeft` (`|+` and friends), `struct`, `mask`, and the
//! value operators.

use std::sync::Arc;

use super::{Budget, Overrun, Scratch};
use crate::pat::{BinOp, Hap, Pat, UnOp};
use crate::time::TimeSpan;
use crate::value::Value;

/// Tidal `appLeft`: for each hap of `left`, query `right` over the left whole; each right
/// hap whose part meets the left part gives a fragment `(left whole, parts' intersection,
/// op(left, right))`. So a left event is split where the right side changes value, and
/// only the fragment at its onset is played.
pub(crate) fn app(
    op: BinOp,
    left: &Pat,
    right: &Pat,
    span: TimeSpan,
    budget: &mut Budget,
    out: &mut Vec<Hap>,
) -> Result<(), Overrun> {
    let start = out.len();
    left.query(span, budget, out)?;
    let mut lefts = Scratch::take();
    lefts.extend(out.drain(start..));
    let mut rights = Scratch::take();
    for l in lefts.drain(..) {
        rights.clear();
        right.query(l.whole.unwrap_or(l.part), budget, &mut rights)?;
        for r in rights.iter() {
            if let Some(part) = l.part.intersect(r.part) {
                budget.spend(1)?;
                out.push(Hap {
                    whole: l.whole,
                    part,
                    value: binary(op, &l.value, &r.value),
                    gain: l.gain,
                });
            }
        }
    }
    Ok(())
}

/// Tidal `struct`: each true hap of `mask` takes the values of `pat` over its whole
/// (appLeft); false and rest haps are dropped.
pub(crate) fn structure(
    mask: &Pat,
    pat: &Pat,
    span: TimeSpan,
    budget: &mut Budget,
    out: &mut Vec<Hap>,
) -> Result<(), Overrun> {
    let mut masks = Scratch::take();
    mask.query(span, budget, &mut masks)?;
    let mut values = Scratch::take();
    for m in masks.iter().filter(|m| m.value.is_truthy()) {
        values.clear();
        pat.query(m.whole.unwrap_or(m.part), budget, &mut values)?;
        for v in values.drain(..) {
            if let Some(part) = m.part.intersect(v.part) {
                budget.spend(1)?;
                out.push(Hap {
                    whole: m.whole,
                    part,
                    value: v.value,
                    gain: v.gain * m.gain,
                });
            }
        }
    }
    Ok(())
}

/// Tidal `mask`: `const <$> pat <* filterValues id mask`, so each hap of `pat` is cut to
/// the true fragments of `mask` over its whole.
pub(crate) fn mask(
    mask: &Pat,
    pat: &Pat,
    span: TimeSpan,
    budget: &mut Budget,
    out: &mut Vec<Hap>,
) -> Result<(), Overrun> {
    let start = out.len();
    pat.query(span, budget, out)?;
    let mut haps = Scratch::take();
    haps.extend(out.drain(start..));
    let mut masks = Scratch::take();
    for h in haps.drain(..) {
        masks.clear();
        mask.query(h.whole.unwrap_or(h.part), budget, &mut masks)?;
        for m in masks.iter().filter(|m| m.value.is_truthy()) {
            if let Some(part) = h.part.intersect(m.part) {
                budget.spend(1)?;
                out.push(Hap {
                    whole: h.whole,
                    part,
                    value: h.value.clone(),
                    gain: h.gain,
                });
            }
        }
    }
    Ok(())
}

/// Apply a unary operator. Chords map element-wise; non-numbers give a rest (`Not` reads
/// truthiness instead).
pub(crate) fn unary(op: UnOp, v: &Value) -> Value {
    if let Value::Chord(vs) = v {
        return Value::Chord(vs.iter().map(|x| unary(op, x)).collect::<Arc<[Value]>>());
    }
    match op {
        UnOp::Not => match v {
            Value::Rest => Value::Rest,
            _ => Value::Bool(!v.is_truthy()),
        },
        UnOp::Neg => match v.as_num() {
            Some(x) => Value::Num(-x),
            None => Value::Rest,
        },
        UnOp::Recip => match v.as_num() {
            Some(x) if x != 0.0 => finite(1.0 / x),
            _ => Value::Rest,
        },
    }
}

fn finite(x: f64) -> Value {
    if x.is_finite() {
        Value::Num(x)
    } else {
        Value::Rest
    }
}

/// Apply a binary operator to a left and a right value. Numbers are read with
/// [`Value::as_num`] (so note names work); arithmetic on a non-number, division or modulo
/// by zero, and non-finite results give [`Value::Rest`]; comparisons give booleans
/// (equality also compares words); `Left`/`Right` pick a side unchanged. A chord on either
/// side applies the operator to each of its notes.
pub(crate) fn binary(op: BinOp, a: &Value, b: &Value) -> Value {
    match op {
        BinOp::Left => return a.clone(),
        BinOp::Right => return b.clone(),
        _ => {}
    }
    if let Value::Chord(xs) = a {
        return Value::Chord(
            xs.iter()
                .map(|x| binary(op, x, b))
                .collect::<Arc<[Value]>>(),
        );
    }
    if let Value::Chord(ys) = b {
        return Value::Chord(
            ys.iter()
                .map(|y| binary(op, a, y))
                .collect::<Arc<[Value]>>(),
        );
    }
    match op {
        BinOp::And => return logic(a, b, |x, y| x && y),
        BinOp::Or => return logic(a, b, |x, y| x || y),
        BinOp::Eq | BinOp::Ne => {
            let same = match (a.as_num(), b.as_num()) {
                (Some(x), Some(y)) => x == y,
                _ => a == b,
            };
            return Value::Bool(same == (op == BinOp::Eq));
        }
        _ => {}
    }
    let (Some(x), Some(y)) = (a.as_num(), b.as_num()) else {
        return Value::Rest;
    };
    match op {
        BinOp::Add => finite(x + y),
        BinOp::Sub => finite(x - y),
        BinOp::Mul => finite(x * y),
        BinOp::Div if y == 0.0 => Value::Rest,
        BinOp::Div => finite(x / y),
        BinOp::Mod if y == 0.0 => Value::Rest,
        BinOp::Mod => finite(x - y * (x / y).floor()),
        BinOp::Pow => finite(x.powf(y)),
        BinOp::Lt => Value::Bool(x < y),
        BinOp::Le => Value::Bool(x <= y),
        BinOp::Gt => Value::Bool(x > y),
        BinOp::Ge => Value::Bool(x >= y),
        BinOp::Eq | BinOp::Ne | BinOp::And | BinOp::Or | BinOp::Left | BinOp::Right => Value::Rest,
    }
}

fn logic(a: &Value, b: &Value, f: impl Fn(bool, bool) -> bool) -> Value {
    if matches!(a, Value::Rest) || matches!(b, Value::Rest) {
        return Value::Rest;
    }
    Value::Bool(f(a.is_truthy(), b.is_truthy()))
}
