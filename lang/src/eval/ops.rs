//! Operators between values.
//!
//! Constants fold. A cycle pattern with a constant or another pattern becomes `Pat::App`
//! (structure from the left, like Tidal's `|+`); a constant on the left of a pattern is
//! turned around so the pattern keeps its structure (`12 + "0 2 4"` has three events).
//! Anything involving a stream becomes `Stream::Bin` (evaluated per event). Lists apply the
//! operator to each element (transposing a chord).

use std::rc::Rc;
use std::sync::Arc;

use patter_pattern::{BinOp, Pat, Stream, UnOp, Value};

use super::value::Val;
use super::{EvalResult, Evaluator};
use crate::ast::BinaryOp;
use crate::diagnostic::Diagnostic;
use crate::span::Span;

fn to_binop(op: BinaryOp) -> BinOp {
    match op {
        BinaryOp::Or => BinOp::Or,
        BinaryOp::And => BinOp::And,
        BinaryOp::Eq => BinOp::Eq,
        BinaryOp::Ne => BinOp::Ne,
        BinaryOp::Lt => BinOp::Lt,
        BinaryOp::Le => BinOp::Le,
        BinaryOp::Gt => BinOp::Gt,
        BinaryOp::Ge => BinOp::Ge,
        BinaryOp::Add => BinOp::Add,
        BinaryOp::Sub => BinOp::Sub,
        BinaryOp::Mul => BinOp::Mul,
        BinaryOp::Div => BinOp::Div,
        BinaryOp::Mod => BinOp::Mod,
        BinaryOp::Pow => BinOp::Pow,
    }
}

/// Apply a binary operator to two constant values (the semantics shared with the pattern
/// engine: non-numbers and division by zero give a rest).
pub fn fold(op: BinOp, a: &Value, b: &Value) -> Value {
    match op {
        BinOp::Left => return a.clone(),
        BinOp::Right => return b.clone(),
        BinOp::Eq => {
            return Value::Bool(a == b || (a.as_num().is_some() && a.as_num() == b.as_num()))
        }
        BinOp::Ne => {
            return Value::Bool(!(a == b || (a.as_num().is_some() && a.as_num() == b.as_num())))
        }
        BinOp::And => return Value::Bool(a.is_truthy() && b.is_truthy()),
        BinOp::Or => return Value::Bool(a.is_truthy() || b.is_truthy()),
        _ => {}
    }
    let (Some(x), Some(y)) = (a.as_num(), b.as_num()) else {
        return Value::Rest;
    };
    match op {
        BinOp::Add => Value::Num(x + y),
        BinOp::Sub => Value::Num(x - y),
        BinOp::Mul => Value::Num(x * y),
        BinOp::Div if y == 0.0 => Value::Rest,
        BinOp::Div => Value::Num(x / y),
        BinOp::Mod if y == 0.0 => Value::Rest,
        BinOp::Mod => Value::Num(x - y * (x / y).floor()),
        BinOp::Pow => Value::Num(x.powf(y)),
        BinOp::Lt => Value::Bool(x < y),
        BinOp::Le => Value::Bool(x <= y),
        BinOp::Gt => Value::Bool(x > y),
        BinOp::Ge => Value::Bool(x >= y),
        _ => Value::Rest,
    }
}

fn from_value(v: Value) -> Val {
    match v {
        Value::Num(x) => Val::Num(x),
        Value::Bool(b) => Val::Bool(b),
        Value::Rest => Val::Rest,
        Value::Str(s) => Val::Sym(s),
        Value::Chord(items) => Val::List(Rc::new(items.iter().cloned().map(from_value).collect())),
    }
}

/// For `c OP p` with a constant on the left: the same operation with the pattern on the
/// left, when there is one.
fn flip(op: BinOp) -> Option<BinOp> {
    Some(match op {
        BinOp::Add | BinOp::Mul | BinOp::Eq | BinOp::Ne | BinOp::And | BinOp::Or => op,
        BinOp::Lt => BinOp::Gt,
        BinOp::Le => BinOp::Ge,
        BinOp::Gt => BinOp::Lt,
        BinOp::Ge => BinOp::Le,
        _ => return None,
    })
}

impl Evaluator<'_> {
    pub(crate) fn binary(
        &mut self,
        op: BinaryOp,
        l: Val,
        ls: Span,
        r: Val,
        rs: Span,
        span: Span,
    ) -> EvalResult {
        self.binop(to_binop(op), l, ls, r, rs, span)
    }

    pub(crate) fn binop(
        &mut self,
        op: BinOp,
        l: Val,
        ls: Span,
        r: Val,
        rs: Span,
        span: Span,
    ) -> EvalResult {
        // Lists: element-wise (chord transposition), the other side broadcast.
        if let Val::List(items) = &l {
            if !matches!(r, Val::List(_) | Val::Stream(_) | Val::Pat(_)) {
                let mut out = Vec::with_capacity(items.len());
                for it in items.iter() {
                    out.push(self.binop(op, it.clone(), ls, r.clone(), rs, span)?);
                }
                return Ok(Val::List(Rc::new(out)));
            }
        }
        if let Val::List(items) = &r {
            if !matches!(l, Val::List(_) | Val::Stream(_) | Val::Pat(_)) {
                let mut out = Vec::with_capacity(items.len());
                for it in items.iter() {
                    out.push(self.binop(op, l.clone(), ls, it.clone(), rs, span)?);
                }
                return Ok(Val::List(Rc::new(out)));
            }
        }
        if let (Some(a), Some(b)) = (l.constant(), r.constant()) {
            if !matches!(l, Val::Pat(_) | Val::Stream(_))
                && !matches!(r, Val::Pat(_) | Val::Stream(_))
            {
                return Ok(from_value(fold(op, &a, &b)));
            }
        }
        let involves_stream = matches!(l, Val::Stream(_)) || matches!(r, Val::Stream(_));
        if involves_stream {
            let a = self.stream_of(&l, ls)?;
            let b = self.stream_of(&r, rs)?;
            return Ok(Val::Stream(Arc::new(Stream::Bin {
                op,
                left: a,
                right: b,
            })));
        }
        let l_pat = matches!(l, Val::Pat(_)) || super::builtins::is_signal_val(&l);
        let r_pat = matches!(r, Val::Pat(_)) || super::builtins::is_signal_val(&r);
        if !l_pat && r_pat {
            // A constant on the left: keep the pattern's structure.
            let p = self.pat_of(&r, rs)?;
            let c = self.pat_of(&l, ls)?;
            let out = match op {
                BinOp::Sub => Pat::App { op: BinOp::Add, left: Pat::Map { op: UnOp::Neg, pat: p }.rc(), right: c },
                BinOp::Div => Pat::App { op: BinOp::Mul, left: Pat::Map { op: UnOp::Recip, pat: p }.rc(), right: c },
                _ => match flip(op) {
                    Some(f) => Pat::App { op: f, left: p, right: c },
                    None => {
                        return Err(self.error(
                            Diagnostic::error("E0324", "this operator needs the pattern on its left", span)
                                .with_help("write the pattern first, e.g. `\"1 2\" ** 2` rather than `2 ** \"1 2\"`"),
                        ))
                    }
                },
            };
            return Ok(Val::Pat(out.rc()));
        }
        if l_pat || r_pat {
            let a = self.pat_of(&l, ls)?;
            let b = self.pat_of(&r, rs)?;
            return Ok(Val::Pat(
                Pat::App {
                    op,
                    left: a,
                    right: b,
                }
                .rc(),
            ));
        }
        let bad = if l.constant().is_none() {
            (&l, ls)
        } else {
            (&r, rs)
        };
        let (v, s) = bad;
        let d = v.describe();
        Err(self.error(
            Diagnostic::error("E0325", format!("this operator cannot be used with {d}"), s)
                .with_label(format!("this is {d}"))
                .with_help("operators work on numbers, patterns, streams and lists of numbers"),
        ))
    }

    pub(crate) fn unary(&mut self, op: UnOp, v: Val, span: Span) -> EvalResult {
        match &v {
            Val::List(items) => {
                let mut out = Vec::with_capacity(items.len());
                for it in items.iter() {
                    out.push(self.unary(op, it.clone(), span)?);
                }
                Ok(Val::List(Rc::new(out)))
            }
            Val::Stream(s) => Ok(Val::Stream(Arc::new(Stream::Un {
                op,
                stream: s.clone(),
            }))),
            Val::Pat(p) => Ok(Val::Pat(Pat::Map { op, pat: p.clone() }.rc())),
            _ if super::builtins::is_signal_val(&v) => {
                let p = self.pat_of(&v, span)?;
                Ok(Val::Pat(Pat::Map { op, pat: p }.rc()))
            }
            _ => match (op, v.constant()) {
                (UnOp::Neg, Some(c)) => match c.as_num() {
                    Some(x) => Ok(Val::Num(-x)),
                    None => Err(self.type_error(&v, span, "a number")),
                },
                (UnOp::Not, Some(c)) => Ok(Val::Bool(!c.is_truthy())),
                (UnOp::Recip, Some(c)) => match c.as_num() {
                    Some(x) if x != 0.0 => Ok(Val::Num(1.0 / x)),
                    Some(_) => Ok(Val::Rest),
                    None => Err(self.type_error(&v, span, "a number")),
                },
                _ => Err(self.type_error(&v, span, "a number or a pattern")),
            },
        }
    }
}
