//! Compile-time values: what an expression evaluates to before it becomes IR.

use std::rc::Rc;
use std::sync::Arc;

use patter_pattern::{EventPat, Pat, PatRef, Stream, StreamRef, Value};

use crate::ast::{Expr, Ident};
use crate::span::Span;

/// A value during evaluation.
#[derive(Clone, Debug)]
pub enum Val {
    /// A number.
    Num(f64),
    /// A boolean.
    Bool(bool),
    /// `rest`.
    Rest,
    /// A bare name that is not bound to anything but names something the runtime knows
    /// (a scale, an arpeggio mode).
    Sym(Arc<str>),
    /// A cycle-domain pattern (mini-notation strings and Tidal transforms).
    Pat(PatRef),
    /// An index-domain stream (seq, rand, white, …).
    Stream(StreamRef),
    /// A list literal: the items of `seq([…])`, or a chord where one value is expected.
    List(Rc<Vec<Val>>),
    /// A Pbind record `{ key: value, … }`, keys in order, with each value's span.
    Record(Rc<Vec<(Ident, Val, Span)>>),
    /// Several event patterns (`ppar`, `ptpar`).
    Events(Arc<EventPat>),
    /// A function value.
    Func(Rc<Func>),
    /// A trigger (`integrate`, `onsets`, `timer`, …): instants that switch values.
    Trigger(patter_pattern::trigger::TriggerRef),
}

/// Function values.
#[derive(Debug)]
pub enum Func {
    /// A builtin, possibly with some arguments already given (`fast(2)`).
    Builtin {
        /// Index into the builtin table.
        index: usize,
        /// Arguments given so far, positional.
        given: Vec<Val>,
        /// Named arguments given so far.
        named: Vec<(String, Val)>,
    },
    /// A user function or lambda.
    User {
        /// Name for messages (`<lambda>` for lambdas).
        name: String,
        /// Parameters.
        params: Vec<Ident>,
        /// Body.
        body: Rc<Expr>,
        /// Bindings captured where it was defined.
        env: Env,
        /// Where it was defined.
        span: Span,
        /// Arguments already given (partial application).
        given: Vec<Val>,
    },
}

/// A lexical environment: a persistent linked list, cheap to extend and to capture.
#[derive(Clone, Debug, Default)]
pub struct Env(Option<Rc<EnvNode>>);

/// One binding.
#[derive(Debug)]
pub struct EnvNode {
    name: String,
    value: Val,
    parent: Env,
}

impl Env {
    /// A new environment with `name` bound on top of this one.
    pub fn bind(&self, name: impl Into<String>, value: Val) -> Env {
        Env(Some(Rc::new(EnvNode {
            name: name.into(),
            value,
            parent: self.clone(),
        })))
    }

    /// Look a name up (innermost first). Iterative, so long environments cannot overflow
    /// the stack.
    pub fn get(&self, name: &str) -> Option<&Val> {
        let mut cur = self.0.as_deref();
        while let Some(node) = cur {
            if node.name == name {
                return Some(&node.value);
            }
            cur = node.parent.0.as_deref();
        }
        None
    }

    /// Every bound name (innermost first, may repeat), for suggestions.
    pub fn names(&self) -> Vec<&str> {
        let mut out = Vec::new();
        let mut cur = self.0.as_deref();
        while let Some(node) = cur {
            out.push(node.name.as_str());
            cur = node.parent.0.as_deref();
        }
        out
    }
}

impl Drop for EnvNode {
    // A long chain of Rc'd nodes would otherwise be dropped recursively and could overflow
    // the stack on a program with many thousands of bindings.
    fn drop(&mut self) {
        let mut next = self.parent.0.take();
        while let Some(rc) = next {
            match Rc::try_unwrap(rc) {
                Ok(mut node) => next = node.parent.0.take(),
                Err(_) => break,
            }
        }
    }
}

impl Val {
    /// What kind of value this is, for messages ("a number", "a stream").
    pub fn describe(&self) -> &'static str {
        match self {
            Val::Num(_) => "a number",
            Val::Bool(_) => "a boolean",
            Val::Rest => "a rest",
            Val::Sym(_) => "a name",
            Val::Pat(_) => "a pattern",
            Val::Stream(_) => "a stream",
            Val::List(_) => "a list",
            Val::Record(_) => "a record",
            Val::Events(_) => "a parallel pattern",
            Val::Func(_) => "a function",
            Val::Trigger(_) => "a trigger",
        }
    }

    /// The constant value if this is one (numbers, booleans, names, rests, a pattern that
    /// is a single pure value).
    pub fn constant(&self) -> Option<Value> {
        match self {
            Val::Num(x) => Some(Value::Num(*x)),
            Val::Bool(b) => Some(Value::Bool(*b)),
            Val::Rest => Some(Value::Rest),
            Val::Sym(s) => Some(Value::Str(s.clone())),
            Val::Pat(p) => match &**p {
                Pat::Pure(v) => Some(v.clone()),
                _ => None,
            },
            Val::Stream(s) => match &**s {
                Stream::Const(v) => Some(v.clone()),
                _ => None,
            },
            _ => None,
        }
    }

    /// A constant number (numbers and single-value patterns such as `"3"`).
    pub fn as_num(&self) -> Option<f64> {
        self.constant().and_then(|v| v.as_num())
    }

    /// A constant word (`dorian`, `"updown"`).
    pub fn as_word(&self) -> Option<Arc<str>> {
        match self.constant()? {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
}
