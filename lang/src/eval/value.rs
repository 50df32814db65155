//! Compile-time values: what an expression evaluates to before it becomes IR.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::{Rc, Weak};
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

/// A lexical environment, cheap to extend and to capture: local bindings (parameters) in a
/// persistent linked list, over a snapshot of the top-level bindings.
///
/// A long program has hundreds of top-level `let`s and `fn`s, and every name not bound
/// locally (every builtin such as `seq` or `fast`) used to walk all of them. Top-level
/// bindings go instead into one append-only table, by name; an environment sees the
/// entries made before it (`upto`), which is exactly what the linked list showed. The
/// table is owned by the evaluator ([`Globals`]); environments hold it weakly, so closures
/// stored in it make no reference cycle.
#[derive(Clone, Debug, Default)]
pub struct Env {
    locals: Option<Rc<EnvNode>>,
    globals: Weak<RefCell<GlobalTable>>,
    /// Top-level entries made before this environment (sequence numbers below it).
    upto: u32,
}

/// One local binding.
#[derive(Debug)]
pub struct EnvNode {
    name: String,
    value: Val,
    parent: Option<Rc<EnvNode>>,
}

/// The top-level bindings of one compilation (see [`Env`]).
#[derive(Debug, Default)]
pub struct Globals(Rc<RefCell<GlobalTable>>);

#[derive(Debug, Default)]
struct GlobalTable {
    /// Each name's bindings in order: `(sequence number, value)`.
    by_name: HashMap<String, Vec<(u32, Val)>>,
    /// Sequence number of the next binding.
    next: u32,
}

impl Globals {
    /// The empty top-level environment over this table.
    pub fn env(&self) -> Env {
        Env {
            locals: None,
            globals: Rc::downgrade(&self.0),
            upto: self.0.borrow().next,
        }
    }
}

impl Env {
    /// A new environment with `name` bound on top of this one.
    pub fn bind(&self, name: impl Into<String>, value: Val) -> Env {
        Env {
            locals: Some(Rc::new(EnvNode {
                name: name.into(),
                value,
                parent: self.locals.clone(),
            })),
            globals: self.globals.clone(),
            upto: self.upto,
        }
    }

    /// [`bind`](Env::bind) for a top-level binding: into the table when this is the
    /// latest top-level environment, as a local binding otherwise (the same scoping).
    pub fn define(&self, name: impl Into<String>, value: Val) -> Env {
        let Some(table) = self.globals.upgrade() else {
            return self.bind(name, value);
        };
        let mut t = table.borrow_mut();
        if self.locals.is_some() || t.next != self.upto || t.next == u32::MAX {
            drop(t);
            return self.bind(name, value);
        }
        let seq = t.next;
        t.by_name.entry(name.into()).or_default().push((seq, value));
        t.next += 1;
        Env {
            locals: None,
            globals: self.globals.clone(),
            upto: t.next,
        }
    }

    /// Look a name up (innermost first). Iterative, so long environments cannot overflow
    /// the stack.
    pub fn get(&self, name: &str) -> Option<Val> {
        let mut cur = self.locals.as_deref();
        while let Some(node) = cur {
            if node.name == name {
                return Some(node.value.clone());
            }
            cur = node.parent.as_deref();
        }
        let table = self.globals.upgrade()?;
        let t = table.borrow();
        let entries = t.by_name.get(name)?;
        entries
            .iter()
            .rev()
            .find(|(seq, _)| *seq < self.upto)
            .map(|(_, v)| v.clone())
    }

    /// Every bound name (innermost first, may repeat), for suggestions.
    pub fn names(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut cur = self.locals.as_deref();
        while let Some(node) = cur {
            out.push(node.name.clone());
            cur = node.parent.as_deref();
        }
        if let Some(table) = self.globals.upgrade() {
            let t = table.borrow();
            let mut globals: Vec<(u32, &String)> = t
                .by_name
                .iter()
                .filter_map(|(name, entries)| {
                    let seq = entries
                        .iter()
                        .map(|(s, _)| *s)
                        .filter(|s| *s < self.upto)
                        .max()?;
                    Some((seq, name))
                })
                .collect();
            globals.sort_by_key(|g| std::cmp::Reverse(g.0));
            out.extend(globals.into_iter().map(|(_, n)| n.clone()));
        }
        out
    }
}

impl Drop for EnvNode {
    // A long chain of Rc'd nodes would otherwise be dropped recursively and could overflow
    // the stack on a program with many thousands of bindings.
    fn drop(&mut self) {
        let mut next = self.parent.take();
        while let Some(rc) = next {
            match Rc::try_unwrap(rc) {
                Ok(mut node) => next = node.parent.take(),
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

#[cfg(test)]
mod env_tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn num(v: Option<Val>) -> Option<f64> {
        match v {
            Some(Val::Num(x)) => Some(x),
            _ => None,
        }
    }

    #[test]
    fn top_level_bindings_are_seen_by_what_comes_after_them_only() {
        let globals = Globals::default();
        let empty = globals.env();
        let a1 = empty.define("a", Val::Num(1.0));
        // A closure captured here keeps seeing a = 1 after a is redefined.
        let captured = a1.clone();
        let a2 = a1.define("a", Val::Num(2.0)).define("b", Val::Num(3.0));
        assert_eq!(num(empty.get("a")), None);
        assert_eq!(num(captured.get("a")), Some(1.0));
        assert_eq!(num(captured.get("b")), None);
        assert_eq!(num(a2.get("a")), Some(2.0));
        // Locals shadow top-level names, and a top-level definition made under locals
        // stays local to them.
        let call = captured.bind("a", Val::Num(10.0));
        assert_eq!(num(call.get("a")), Some(10.0));
        let inner = call.define("c", Val::Num(4.0));
        assert_eq!(num(inner.get("c")), Some(4.0));
        assert_eq!(num(a2.get("c")), None);
        // Defining on an older snapshot does not see (or show) later entries.
        let branch = captured.define("d", Val::Num(5.0));
        assert_eq!(num(branch.get("b")), None);
        assert_eq!(num(a2.get("d")), None);
        assert_eq!(a2.names(), vec!["b".to_string(), "a".to_string()]);
    }
}
