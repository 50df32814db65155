//! Conversions from compile-time values to IR, and the finishing pass over a player.

use std::collections::HashMap;
use std::sync::Arc;

use patter_pattern::{Bind, EventPat, Key, Pat, PatRef, Stream, StreamRef, Value};

use super::builtins;
use super::value::Val;
use super::{hash_str, mix, Evaluator, Stop};
use crate::diagnostic::Diagnostic;
use crate::span::Span;

/// True when a key's stream gives cycle structure (see [`Bind`]).
pub(crate) fn is_cycle_structured(s: &Stream) -> bool {
    match s {
        Stream::Cycle(_) => true,
        Stream::Bin { left, .. } => is_cycle_structured(left),
        _ => false,
    }
}

impl Evaluator<'_> {
    /// A value as a key's stream.
    pub(crate) fn stream_of(&mut self, v: &Val, span: Span) -> Result<StreamRef, Stop> {
        Ok(match v {
            Val::Num(x) => Stream::num(*x),
            Val::Bool(b) => Arc::new(Stream::Const(Value::Bool(*b))),
            Val::Rest => Arc::new(Stream::Const(Value::Rest)),
            Val::Sym(s) => Arc::new(Stream::Const(Value::Str(s.clone()))),
            // A string keeps its cycle structure even when it is one word: `note: "0"` is one
            // event per cycle, as in Tidal.
            Val::Pat(p) => Arc::new(Stream::Cycle(p.clone())),
            Val::Stream(s) => s.clone(),
            Val::List(items) => {
                // A list where one value is expected is a chord.
                if let Some(values) = items
                    .iter()
                    .map(|i| i.constant())
                    .collect::<Option<Vec<_>>>()
                {
                    Arc::new(Stream::Const(Value::Chord(values.into())))
                } else {
                    let mut parts = Vec::with_capacity(items.len());
                    for it in items.iter() {
                        parts.push(self.stream_of(it, span)?);
                    }
                    Arc::new(Stream::Chord(parts))
                }
            }
            Val::Func(f) => match builtins::signal_of(f) {
                Some(p) => Arc::new(Stream::Cycle(p)),
                None => return Err(self.type_error(v, span, "a value or a pattern")),
            },
            Val::Record(_) | Val::Events(_) => {
                return Err(self.type_error(v, span, "a value or a pattern"))
            }
            Val::Trigger(_) => return Err(self.trigger_as_value(span)),
        })
    }

    /// A value as a cycle pattern.
    pub(crate) fn pat_of(&mut self, v: &Val, span: Span) -> Result<PatRef, Stop> {
        Ok(match v {
            Val::Num(x) => Pat::num(*x),
            Val::Bool(b) => Pat::Pure(Value::Bool(*b)).rc(),
            Val::Rest => Pat::Silence.rc(),
            Val::Sym(s) => Pat::Pure(Value::Str(s.clone())).rc(),
            Val::Pat(p) => p.clone(),
            Val::List(items) => {
                let mut parts = Vec::with_capacity(items.len());
                for it in items.iter() {
                    parts.push(self.pat_of(it, span)?);
                }
                Pat::Stack(parts).rc()
            }
            Val::Func(f) => match builtins::signal_of(f) {
                Some(p) => p,
                None => return Err(self.type_error(v, span, "a pattern")),
            },
            Val::Stream(_) => {
                return Err(self.error(
                    Diagnostic::error("E0323", "a stream (seq, rand, white, …) cannot be used as a cycle pattern", span)
                        .with_label("this is a stream: its values advance once per event")
                        .with_help("cycle transforms such as fast, every or rev work on mini-notation strings; to change a stream's speed, change the player's `dur`"),
                ))
            }
            Val::Record(_) | Val::Events(_) => return Err(self.type_error(v, span, "a pattern")),
            Val::Trigger(_) => return Err(self.trigger_as_value(span)),
        })
    }

    pub(crate) fn type_error(&mut self, v: &Val, span: Span, expected: &str) -> Stop {
        self.error(
            Diagnostic::error(
                "E0320",
                format!(
                    "I was expecting {expected} here, but this is {}",
                    v.describe()
                ),
                span,
            )
            .with_label(format!("expected {expected}")),
        )
    }
}

/// Finish a player's body: give each random stream its own seed from the player's seed,
/// the key and its ordinal (so players never share random values), offset the Tidal
/// randomness of mini-notation by the program seed, and add the global scale and root to
/// binds that do not set their own.
pub(crate) fn finish_player(
    body: &Arc<EventPat>,
    player_seed: u64,
    program_seed: u64,
    scale: Option<&Value>,
    root: Option<&Value>,
) -> Arc<EventPat> {
    match &**body {
        EventPat::Bind(bind) => {
            let mut keys = Vec::with_capacity(bind.keys.len() + 2);
            for (k, s) in &bind.keys {
                let mut re = Reseed {
                    salt: mix(player_seed, hash_str(k)),
                    pat_seed: (program_seed % 100_000) as u32 * 7919,
                    streams: HashMap::new(),
                    pats: HashMap::new(),
                };
                keys.push((k.clone(), re.stream(s)));
            }
            // The global scale and root only tune pitched players: a drum player (`s` with
            // no pitch key) must stay unpitched, or MIDI outputs would send it as notes.
            let has = |names: &[&str]| keys.iter().any(|(k, _)| names.contains(&&**k));
            let pitched = has(patter_pattern::pitch::PITCH_KEYS) || !has(&["s", "sound"]);
            for (name, v) in [("scale", scale), ("root", root)] {
                if !pitched {
                    break;
                }
                if let Some(v) = v {
                    if !keys.iter().any(|(k, _)| &**k == name) {
                        keys.push((Key::new(name), Arc::new(Stream::Const(v.clone()))));
                    }
                }
            }
            Arc::new(EventPat::Bind(Bind { keys }))
        }
        EventPat::Par(parts) => Arc::new(EventPat::Par(
            parts
                .iter()
                .enumerate()
                .map(|(i, (t, p))| {
                    (
                        *t,
                        finish_player(p, mix(player_seed, i as u64 + 1), program_seed, scale, root),
                    )
                })
                .collect(),
        )),
    }
}

/// A trigger used outside any player (a scene launch's `on`), with the program seed
/// applied exactly as to triggers inside players, so a launch and a `step` listening to the
/// same trigger agree.
pub(crate) fn finish_trigger(
    t: &patter_pattern::trigger::TriggerRef,
    program_seed: u64,
) -> patter_pattern::trigger::TriggerRef {
    let mut re = Reseed {
        salt: 0,
        pat_seed: (program_seed % 100_000) as u32 * 7919,
        streams: HashMap::new(),
        pats: HashMap::new(),
    };
    if re.pat_seed == 0 {
        return t.clone();
    }
    let off = re.pat_seed as u64;
    t.reseeded(off, &mut |c: &PatRef| re.pat(c))
}

/// Rewrites seeds, keeping shared subtrees shared (memo by node address).
struct Reseed {
    salt: u64,
    pat_seed: u32,
    streams: HashMap<*const Stream, StreamRef>,
    pats: HashMap<*const Pat, PatRef>,
}

impl Reseed {
    fn stream(&mut self, s: &StreamRef) -> StreamRef {
        let key = Arc::as_ptr(s);
        if let Some(done) = self.streams.get(&key) {
            return done.clone();
        }
        let salt = self.salt;
        let seed = |x: u64| mix(salt, x);
        let items =
            |me: &mut Self, v: &[StreamRef]| v.iter().map(|i| me.stream(i)).collect::<Vec<_>>();
        let out = match &**s {
            Stream::Const(_) => s.clone(),
            Stream::Cycle(p) => {
                if self.pat_seed == 0 {
                    s.clone()
                } else {
                    Arc::new(Stream::Cycle(self.pat(p)))
                }
            }
            Stream::Seq {
                items: it,
                repeats,
                offset,
            } => Arc::new(Stream::Seq {
                items: items(self, it),
                repeats: *repeats,
                offset: *offset,
            }),
            Stream::Rand {
                items: it,
                repeats,
                seed: sd,
            } => Arc::new(Stream::Rand {
                items: items(self, it),
                repeats: *repeats,
                seed: seed(*sd),
            }),
            Stream::XRand {
                items: it,
                repeats,
                seed: sd,
            } => Arc::new(Stream::XRand {
                items: items(self, it),
                repeats: *repeats,
                seed: seed(*sd),
            }),
            Stream::Shuf {
                items: it,
                repeats,
                seed: sd,
            } => Arc::new(Stream::Shuf {
                items: items(self, it),
                repeats: *repeats,
                seed: seed(*sd),
            }),
            Stream::WRand {
                items: it,
                weights,
                repeats,
                seed: sd,
            } => Arc::new(Stream::WRand {
                items: items(self, it),
                weights: weights.clone(),
                repeats: *repeats,
                seed: seed(*sd),
            }),
            Stream::White {
                lo,
                hi,
                length,
                seed: sd,
            } => Arc::new(Stream::White {
                lo: self.stream(lo),
                hi: self.stream(hi),
                length: *length,
                seed: seed(*sd),
            }),
            Stream::ExpRand {
                lo,
                hi,
                length,
                seed: sd,
            } => Arc::new(Stream::ExpRand {
                lo: self.stream(lo),
                hi: self.stream(hi),
                length: *length,
                seed: seed(*sd),
            }),
            Stream::Brown {
                lo,
                hi,
                step,
                length,
                seed: sd,
            } => Arc::new(Stream::Brown {
                lo: self.stream(lo),
                hi: self.stream(hi),
                step: self.stream(step),
                length: *length,
                seed: seed(*sd),
            }),
            Stream::Series {
                start,
                step,
                length,
            } => Arc::new(Stream::Series {
                start: self.stream(start),
                step: self.stream(step),
                length: *length,
            }),
            Stream::Geom {
                start,
                grow,
                length,
            } => Arc::new(Stream::Geom {
                start: self.stream(start),
                grow: self.stream(grow),
                length: *length,
            }),
            Stream::Repeat { stream, repeats } => Arc::new(Stream::Repeat {
                stream: self.stream(stream),
                repeats: *repeats,
            }),
            Stream::Chord(parts) => Arc::new(Stream::Chord(items(self, parts))),
            Stream::Bin { op, left, right } => Arc::new(Stream::Bin {
                op: *op,
                left: self.stream(left),
                right: self.stream(right),
            }),
            Stream::Un { op, stream } => Arc::new(Stream::Un {
                op: *op,
                stream: self.stream(stream),
            }),
            Stream::Arp { mode, stream } => Arc::new(Stream::Arp {
                mode: *mode,
                stream: self.stream(stream),
            }),
        };
        self.streams.insert(key, out.clone());
        out
    }

    /// Offset the seed of every random node of a cycle pattern by the program seed.
    fn pat(&mut self, p: &PatRef) -> PatRef {
        let key = Arc::as_ptr(p);
        if let Some(done) = self.pats.get(&key) {
            return done.clone();
        }
        let off = self.pat_seed;
        let out = match &**p {
            Pat::Silence | Pat::Pure(_) => p.clone(),
            Pat::Signal { kind, seed } => Pat::Signal {
                kind: *kind,
                seed: seed.wrapping_add(off),
            }
            .rc(),
            Pat::Degrade {
                amount,
                seed,
                invert,
                pat,
            } => Pat::Degrade {
                amount: self.pat(amount),
                seed: seed.wrapping_add(off),
                invert: *invert,
                pat: self.pat(pat),
            }
            .rc(),
            Pat::RandChoice { seed, options } => Pat::RandChoice {
                seed: seed.wrapping_add(off),
                options: options.iter().map(|o| self.pat(o)).collect(),
            }
            .rc(),
            Pat::Arp { mode, pat } => Pat::Arp {
                mode: *mode,
                pat: self.pat(pat),
            }
            .rc(),
            // Triggers take the program seed too; every listener gets the same result.
            Pat::Trig(t) => Pat::Trig(Arc::new(
                t.reseeded(off as u64, &mut |c: &PatRef| self.pat(c)),
            ))
            .rc(),
            other => {
                // Structural nodes: rebuild with reseeded children.
                let mut node = other.clone();
                node.map_children(|c| self.pat(c));
                node.rc()
            }
        };
        self.pats.insert(key, out.clone());
        out
    }
}
