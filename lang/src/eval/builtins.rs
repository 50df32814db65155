//! The builtin functions.
//!
//! Each builtin has named parameters (some with defaults) and a *subject*: the parameter a
//! method call's receiver fills (`"bd sn".fast(2)` is `fast(2, "bd sn")`). Tidal-style
//! transforms take the pattern last and SuperCollider-style constructors take their list
//! first, as in those systems. Calling a builtin with its subject (or more) missing gives a
//! function waiting for the rest (`every(4, fast(2))`).
//!
//! Lower-case stream constructors (`seq`, `rand`, `white`, …) repeat forever unless told
//! otherwise, which is what a live loop wants; the capitalised SuperCollider names (`Pseq`,
//! `Prand`, …) keep SuperCollider's defaults exactly (`Pseq(list)` plays once).

use std::rc::Rc;
use std::sync::Arc;

use patter_pattern::{
    ArpMode, BinOp, CycleCond, EventPat, Pat, PatRef, Repeats, SignalKind, Stream, StreamRef, Time,
    UnOp, Value,
};

mod control;
pub(crate) mod trigger;

pub(crate) use control::switch_edges;
pub(crate) use trigger::gate_player;

use super::value::{Func, Val};
use super::{plural, suggest, EvalResult, Evaluator, Spanned, Stop};
use crate::ast::Ident;
use crate::diagnostic::Diagnostic;
use crate::span::Span;

const INF: f64 = f64::INFINITY;

/// A parameter default.
#[derive(Clone, Copy, Debug)]
enum Def {
    /// Must be given.
    Req,
    /// A number (`INF` for forever).
    Num(f64),
    /// A pattern that is always true (euclid without a pattern gives a boolean rhythm).
    True,
    /// `false` (a switch that is off unless given).
    False,
}

/// A parameter.
#[derive(Clone, Copy, Debug)]
struct P(&'static str, Def);

type Run = fn(&mut Evaluator<'_>, &mut Args) -> EvalResult;

/// A builtin function.
pub struct Builtin {
    /// Name.
    pub name: &'static str,
    params: &'static [P],
    subject: usize,
    signal: Option<SignalKind>,
    /// One-line description (for completion and `:help`).
    pub doc: &'static str,
    run: Run,
}

const fn b(
    name: &'static str,
    params: &'static [P],
    subject: usize,
    doc: &'static str,
    run: Run,
) -> Builtin {
    Builtin {
        name,
        params,
        subject,
        signal: None,
        doc,
        run,
    }
}

const fn sig(name: &'static str, kind: SignalKind, doc: &'static str) -> Builtin {
    Builtin {
        name,
        params: &[],
        subject: 0,
        signal: Some(kind),
        doc,
        run: run_signal,
    }
}

use Def::{Num as D, Req as R};

/// Every builtin.
pub static BUILTINS: &[Builtin] = &[
    // --- Tidal-style cycle transforms (pattern last) ---
    b(
        "fast",
        &[P("factor", R), P("pat", R)],
        1,
        "speed a pattern up by a (patterned) factor",
        |ev, a| {
            let f = a.pat(ev, 0)?;
            let p = a.pat(ev, 1)?;
            Ok(Val::Pat(Pat::Fast { factor: f, pat: p }.rc()))
        },
    ),
    b(
        "slow",
        &[P("factor", R), P("pat", R)],
        1,
        "slow a pattern down by a (patterned) factor",
        |ev, a| {
            let p = a.pat(ev, 1)?;
            let f = recip(ev, a, 0)?;
            Ok(Val::Pat(Pat::Fast { factor: f, pat: p }.rc()))
        },
    ),
    b(
        "early",
        &[P("cycles", R), P("pat", R)],
        1,
        "shift a pattern earlier by a number of cycles (Tidal <~)",
        |ev, a| {
            let t = a.pat(ev, 0)?;
            let p = a.pat(ev, 1)?;
            Ok(Val::Pat(Pat::Early { amount: t, pat: p }.rc()))
        },
    ),
    b(
        "late",
        &[P("cycles", R), P("pat", R)],
        1,
        "shift a pattern later by a number of cycles (Tidal ~>)",
        run_late,
    ),
    b(
        "shift",
        &[P("cycles", R), P("pat", R)],
        1,
        "shift a pattern later (negative: earlier) by a number of cycles",
        run_late,
    ),
    b("rev", &[P("pat", R)], 0, "reverse each cycle", |ev, a| {
        let p = a.pat(ev, 0)?;
        Ok(Val::Pat(Pat::Rev(p).rc()))
    }),
    b(
        "every",
        &[P("n", R), P("f", R), P("pat", R), P("offset", D(0.0))],
        2,
        "apply a function every n cycles (starting at cycle `offset`)",
        |ev, a| {
            let n = a.int(ev, 0, "a number of cycles", 0, 1 << 30)?;
            let off = a.int(ev, 3, "a cycle offset", -(1 << 30), 1 << 30)?;
            let p = a.pat(ev, 2)?;
            let then = a.apply(ev, 1, p.clone())?;
            Ok(Val::Pat(
                Pat::WhenCycle {
                    cond: CycleCond::Every { n, offset: off },
                    then,
                    otherwise: p,
                }
                .rc(),
            ))
        },
    ),
    b(
        "whenmod",
        &[P("a", R), P("b", R), P("f", R), P("pat", R)],
        3,
        "apply a function when cycle mod a >= b",
        |ev, a| {
            let m = a.int(ev, 0, "a number of cycles", 0, 1 << 30)?;
            let k = a.int(ev, 1, "a number of cycles", -(1 << 30), 1 << 30)?;
            let p = a.pat(ev, 3)?;
            let then = a.apply(ev, 2, p.clone())?;
            Ok(Val::Pat(
                Pat::WhenCycle {
                    cond: CycleCond::WhenMod { a: m, b: k },
                    then,
                    otherwise: p,
                }
                .rc(),
            ))
        },
    ),
    b(
        "sometimesBy",
        &[P("amount", R), P("f", R), P("pat", R)],
        2,
        "apply a function to a random part of the events (deterministic)",
        |ev, a| {
            let x = a.pat(ev, 0)?;
            sometimes(ev, a, x, 1, 2)
        },
    ),
    b(
        "sometimes",
        &[P("f", R), P("pat", R)],
        1,
        "apply a function to about half of the events",
        |ev, a| sometimes(ev, a, Pat::num(0.5), 0, 1),
    ),
    b(
        "often",
        &[P("f", R), P("pat", R)],
        1,
        "apply a function to about 75% of the events",
        |ev, a| sometimes(ev, a, Pat::num(0.75), 0, 1),
    ),
    b(
        "rarely",
        &[P("f", R), P("pat", R)],
        1,
        "apply a function to about 25% of the events",
        |ev, a| sometimes(ev, a, Pat::num(0.25), 0, 1),
    ),
    b(
        "almostNever",
        &[P("f", R), P("pat", R)],
        1,
        "apply a function to about 10% of the events",
        |ev, a| sometimes(ev, a, Pat::num(0.1), 0, 1),
    ),
    b(
        "almostAlways",
        &[P("f", R), P("pat", R)],
        1,
        "apply a function to about 90% of the events",
        |ev, a| sometimes(ev, a, Pat::num(0.9), 0, 1),
    ),
    b(
        "always",
        &[P("f", R), P("pat", R)],
        1,
        "apply a function (to every event)",
        |ev, a| {
            let p = a.pat(ev, 1)?;
            Ok(Val::Pat(a.apply(ev, 0, p)?))
        },
    ),
    b(
        "never",
        &[P("f", R), P("pat", R)],
        1,
        "leave the pattern as it is",
        |ev, a| Ok(Val::Pat(a.pat(ev, 1)?)),
    ),
    b(
        "degrade",
        &[P("pat", R)],
        0,
        "remove half of the events at random (deterministic, Tidal's rand)",
        |ev, a| {
            let p = a.pat(ev, 0)?;
            Ok(Val::Pat(
                Pat::Degrade {
                    amount: Pat::num(0.5),
                    seed: 0,
                    invert: false,
                    pat: p,
                }
                .rc(),
            ))
        },
    ),
    b(
        "degradeBy",
        &[P("amount", R), P("pat", R)],
        1,
        "remove a fraction of the events at random",
        |ev, a| {
            let x = a.pat(ev, 0)?;
            let p = a.pat(ev, 1)?;
            Ok(Val::Pat(
                Pat::Degrade {
                    amount: x,
                    seed: 0,
                    invert: false,
                    pat: p,
                }
                .rc(),
            ))
        },
    ),
    b(
        "unDegradeBy",
        &[P("amount", R), P("pat", R)],
        1,
        "keep exactly the events degradeBy would remove",
        |ev, a| {
            let x = a.pat(ev, 0)?;
            let p = a.pat(ev, 1)?;
            Ok(Val::Pat(
                Pat::Degrade {
                    amount: x,
                    seed: 0,
                    invert: true,
                    pat: p,
                }
                .rc(),
            ))
        },
    ),
    b(
        "iter",
        &[P("n", R), P("pat", R)],
        1,
        "start each cycle a step later (1/n) than the one before",
        |ev, a| iter(ev, a, false),
    ),
    b(
        "iterBack",
        &[P("n", R), P("pat", R)],
        1,
        "like iter, going backwards",
        |ev, a| iter(ev, a, true),
    ),
    b(
        "palindrome",
        &[P("pat", R)],
        0,
        "play forwards, then backwards, alternating cycles",
        |ev, a| {
            let p = a.pat(ev, 0)?;
            Ok(Val::Pat(
                Pat::SlowCat(vec![p.clone(), Pat::Rev(p).rc()]).rc(),
            ))
        },
    ),
    b(
        "ply",
        &[P("n", R), P("pat", R)],
        1,
        "repeat each event n times within its own time",
        |ev, a| {
            let n = a.pat(ev, 0)?;
            let p = a.pat(ev, 1)?;
            Ok(Val::Pat(Pat::Ply { factor: n, pat: p }.rc()))
        },
    ),
    b(
        "chunk",
        &[P("n", R), P("f", R), P("pat", R)],
        2,
        "apply a function to one of n parts of the cycle, a different part each cycle",
        |ev, a| {
            let n = a.int(ev, 0, "a number of parts", 1, 1024)?;
            let p = a.pat(ev, 2)?;
            let applied = a.apply(ev, 1, p.clone())?;
            let parts = (0..n)
                .map(|i| {
                    within(
                        Time::new(i, n),
                        Time::new(i + 1, n),
                        applied.clone(),
                        p.clone(),
                    )
                })
                .collect();
            Ok(Val::Pat(Pat::SlowCat(parts).rc()))
        },
    ),
    b(
        "within",
        &[P("start", R), P("end", R), P("f", R), P("pat", R)],
        3,
        "apply a function to the part of each cycle between start and end (0..1)",
        |ev, a| {
            let s = a.time(ev, 0)?;
            let e = a.time(ev, 1)?;
            let p = a.pat(ev, 3)?;
            let applied = a.apply(ev, 2, p.clone())?;
            Ok(Val::Pat(within(s, e, applied, p)))
        },
    ),
    b(
        "off",
        &[P("cycles", R), P("f", R), P("pat", R)],
        2,
        "superimpose a shifted, transformed copy",
        |ev, a| {
            let t = a.pat(ev, 0)?;
            let p = a.pat(ev, 2)?;
            let shifted = Pat::Early {
                amount: Pat::Map {
                    op: UnOp::Neg,
                    pat: t,
                }
                .rc(),
                pat: p.clone(),
            }
            .rc();
            let applied = a.apply(ev, 1, shifted)?;
            Ok(Val::Pat(Pat::Stack(vec![p, applied]).rc()))
        },
    ),
    b(
        "superimpose",
        &[P("f", R), P("pat", R)],
        1,
        "play the pattern together with a transformed copy",
        |ev, a| {
            let p = a.pat(ev, 1)?;
            let applied = a.apply(ev, 0, p.clone())?;
            Ok(Val::Pat(Pat::Stack(vec![p, applied]).rc()))
        },
    ),
    b(
        "stut",
        &[P("count", R), P("feedback", R), P("time", R), P("pat", R)],
        3,
        "echoes fading by feedback, each `time` cycles later (Tidal stut)",
        |ev, a| {
            let count = a.int(ev, 0, "a number of echoes", 1, 64)?;
            let fb = a.num(ev, 1, "a feedback amount")?;
            let t = a.time(ev, 2)?;
            let p = a.pat(ev, 3)?;
            let c = count as f64;
            let mut layers = vec![p.clone()];
            for i in 1..count {
                // Tidal's scalegain: linear from 1 down towards feedback.
                let g = fb + (1.0 - fb) * ((c - i as f64) / c);
                layers.push(gain(late(p.clone(), t * Time::int(i)), g));
            }
            Ok(Val::Pat(Pat::Stack(layers).rc()))
        },
    ),
    b(
        "echo",
        &[P("count", R), P("time", R), P("feedback", R), P("pat", R)],
        3,
        "echoes each `time` cycles later, each quieter by feedback (Tidal echo)",
        |ev, a| {
            let count = a.int(ev, 0, "a number of echoes", 1, 64)?;
            let t = a.time(ev, 1)?;
            let fb = a.num(ev, 2, "a feedback amount")?;
            let p = a.pat(ev, 3)?;
            let layers = (0..count)
                .map(|i| gain(late(p.clone(), t * Time::int(i)), fb.powi(i as i32)))
                .collect();
            Ok(Val::Pat(Pat::Stack(layers).rc()))
        },
    ),
    b(
        "stack",
        &[P("pats", R)],
        0,
        "play several patterns at once",
        |ev, a| {
            let ps = a.pats(ev, 0)?;
            Ok(Val::Pat(Pat::Stack(ps).rc()))
        },
    ),
    b(
        "cat",
        &[P("pats", R)],
        0,
        "one pattern per cycle, in turn",
        run_cat,
    ),
    b(
        "slowcat",
        &[P("pats", R)],
        0,
        "one pattern per cycle, in turn (same as cat)",
        run_cat,
    ),
    b(
        "fastcat",
        &[P("pats", R)],
        0,
        "all patterns squeezed into one cycle, in turn",
        |ev, a| {
            let ps = a.pats(ev, 0)?;
            Ok(Val::Pat(
                Pat::TimeCat(ps.into_iter().map(|p| (Time::ONE, p)).collect()).rc(),
            ))
        },
    ),
    b(
        "struct",
        &[P("mask", R), P("pat", R)],
        1,
        "take the rhythm from a boolean pattern and the values from pat",
        |ev, a| {
            let m = a.pat(ev, 0)?;
            let p = a.pat(ev, 1)?;
            Ok(Val::Pat(Pat::Struct { mask: m, pat: p }.rc()))
        },
    ),
    b(
        "mask",
        &[P("mask", R), P("pat", R)],
        1,
        "keep only the parts of pat where the mask is true",
        |ev, a| {
            let m = a.pat(ev, 0)?;
            let p = a.pat(ev, 1)?;
            Ok(Val::Pat(Pat::Mask { mask: m, pat: p }.rc()))
        },
    ),
    b(
        "segment",
        &[P("n", R), P("pat", R)],
        1,
        "sample a pattern (or signal) n times per cycle",
        |ev, a| {
            let n = a.pat(ev, 0)?;
            let p = a.pat(ev, 1)?;
            let grid = Pat::Fast {
                factor: n,
                pat: Pat::Pure(Value::Bool(true)).rc(),
            }
            .rc();
            Ok(Val::Pat(Pat::Struct { mask: grid, pat: p }.rc()))
        },
    ),
    b(
        "range",
        &[P("lo", R), P("hi", R), P("pat", R)],
        2,
        "map values from 0..1 to lo..hi",
        |ev, a| {
            let lo = a.pat(ev, 0)?;
            let hi = a.pat(ev, 1)?;
            let p = a.pat(ev, 2)?;
            let width = Pat::App {
                op: BinOp::Sub,
                left: hi,
                right: lo.clone(),
            }
            .rc();
            let scaled = Pat::App {
                op: BinOp::Mul,
                left: p,
                right: width,
            }
            .rc();
            Ok(Val::Pat(
                Pat::App {
                    op: BinOp::Add,
                    left: scaled,
                    right: lo,
                }
                .rc(),
            ))
        },
    ),
    b(
        "arp",
        &[P("mode", R), P("pat", R)],
        1,
        "spread chords over time: up down updown downup converge diverge random",
        |ev, a| {
            let word = a.word(ev, 0, "an arpeggio mode")?;
            let mode = match &*word {
                "up" => ArpMode::Up,
                "down" => ArpMode::Down,
                "updown" => ArpMode::UpDown,
                "downup" => ArpMode::DownUp,
                "converge" => ArpMode::Converge,
                "diverge" => ArpMode::Diverge,
                "random" => ArpMode::Random,
                other => {
                    let d = Diagnostic::error(
                        "E0407",
                        format!("there is no arpeggio mode `{other}`"),
                        a.span(0),
                    );
                    let d = match suggest(other, ARP_MODES.iter().copied()) {
                        Some(s) => d.with_help(format!("did you mean `{s}`?")),
                        None => d.with_help(format!("the modes are: {}", ARP_MODES.join(", "))),
                    };
                    return Err(ev.error(d));
                }
            };
            if let Some(s) = control::stream_arp(mode, &a.get(1)) {
                return Ok(Val::Stream(s));
            }
            let p = a.pat(ev, 1)?;
            Ok(Val::Pat(Pat::Arp { mode, pat: p }.rc()))
        },
    ),
    b(
        "euclid",
        &[
            P("k", R),
            P("n", R),
            P("rotation", D(0.0)),
            P("pat", Def::True),
        ],
        3,
        "Euclidean rhythm: k hits spread over n steps, rotated left",
        |ev, a| {
            let k = a.pat(ev, 0)?;
            let n = a.pat(ev, 1)?;
            let rot = a.pat(ev, 2)?;
            let bool_gaps = a.defaulted(3);
            let p = a.pat(ev, 3)?;
            Ok(Val::Pat(
                Pat::Euclid {
                    k,
                    n,
                    rot,
                    pat: p,
                    bool_gaps,
                }
                .rc(),
            ))
        },
    ),
    b(
        "period",
        &[P("beats", R), P("pat", R)],
        1,
        "make a signal's period last a number of beats",
        |ev, a| {
            let beats = a.num(ev, 0, "a number of beats")?;
            let p = a.pat(ev, 1)?;
            let t = Time::from_f64(beats);
            if t.is_zero() || t.is_negative() {
                return Err(ev.error(Diagnostic::error(
                    "E0408",
                    "a period must be longer than 0 beats",
                    a.span(0),
                )));
            }
            let factor = ev.cycle_beats / t;
            Ok(Val::Pat(
                Pat::Fast {
                    factor: Pat::num(factor.to_f64()),
                    pat: p,
                }
                .rc(),
            ))
        },
    ),
    sig(
        "sine",
        SignalKind::Sine,
        "sine wave from 0 to 1, one period per cycle",
    ),
    sig(
        "cosine",
        SignalKind::Cosine,
        "cosine wave from 0 to 1, one period per cycle",
    ),
    sig(
        "tri",
        SignalKind::Tri,
        "triangle wave from 0 to 1 and back, one period per cycle",
    ),
    sig(
        "saw",
        SignalKind::Saw,
        "ramp from 0 up to 1, one period per cycle",
    ),
    sig(
        "isaw",
        SignalKind::ISaw,
        "ramp from 1 down to 0, one period per cycle",
    ),
    sig(
        "square",
        SignalKind::Square,
        "0 for the first half of each cycle, 1 for the second",
    ),
    sig(
        "perlin",
        SignalKind::Perlin,
        "smooth random values from 0 to 1 (Tidal perlin)",
    ),
    // --- SuperCollider-style value streams (list first) ---
    b(
        "seq",
        &[P("list", R), P("repeats", D(INF)), P("offset", D(0.0))],
        0,
        "the list in order, repeated (Pseq; forever by default)",
        run_seq,
    ),
    b(
        "Pseq",
        &[P("list", R), P("repeats", D(1.0)), P("offset", D(0.0))],
        0,
        "SuperCollider's Pseq (plays once by default)",
        run_seq,
    ),
    Builtin {
        signal: Some(SignalKind::Rand),
        ..b(
            "rand",
            &[P("list", R), P("repeats", D(INF))],
            0,
            "a random item each event (Prand); bare `rand` is Tidal's random signal",
            run_rand,
        )
    },
    b(
        "Prand",
        &[P("list", R), P("repeats", D(1.0))],
        0,
        "SuperCollider's Prand",
        run_rand,
    ),
    b(
        "choose",
        &[P("list", R)],
        0,
        "a random item each event, forever",
        run_rand,
    ),
    b(
        "xrand",
        &[P("list", R), P("repeats", D(INF))],
        0,
        "a random item each event, never the same twice in a row (Pxrand)",
        run_xrand,
    ),
    b(
        "Pxrand",
        &[P("list", R), P("repeats", D(1.0))],
        0,
        "SuperCollider's Pxrand",
        run_xrand,
    ),
    b(
        "shuf",
        &[P("list", R), P("repeats", D(INF))],
        0,
        "the list in one random order, repeated (Pshuf)",
        run_shuf,
    ),
    b(
        "Pshuf",
        &[P("list", R), P("repeats", D(1.0))],
        0,
        "SuperCollider's Pshuf",
        run_shuf,
    ),
    b(
        "wrand",
        &[P("list", R), P("weights", R), P("repeats", D(INF))],
        0,
        "a random item each event, by weight (Pwrand)",
        run_wrand,
    ),
    b(
        "Pwrand",
        &[P("list", R), P("weights", R), P("repeats", D(1.0))],
        0,
        "SuperCollider's Pwrand",
        run_wrand,
    ),
    b(
        "white",
        &[P("lo", D(0.0)), P("hi", D(1.0)), P("length", D(INF))],
        0,
        "uniform random numbers between lo and hi (Pwhite)",
        run_white,
    ),
    b(
        "Pwhite",
        &[P("lo", D(0.0)), P("hi", D(1.0)), P("length", D(INF))],
        0,
        "SuperCollider's Pwhite",
        run_white,
    ),
    b(
        "exprand",
        &[P("lo", D(0.0001)), P("hi", D(1.0)), P("length", D(INF))],
        0,
        "exponentially distributed random numbers (Pexprand)",
        run_exprand,
    ),
    b(
        "Pexprand",
        &[P("lo", D(0.0001)), P("hi", D(1.0)), P("length", D(INF))],
        0,
        "SuperCollider's Pexprand",
        run_exprand,
    ),
    b(
        "brown",
        &[
            P("lo", D(0.0)),
            P("hi", D(1.0)),
            P("step", D(0.125)),
            P("length", D(INF)),
        ],
        0,
        "a random walk between lo and hi (Pbrown)",
        run_brown,
    ),
    b(
        "Pbrown",
        &[
            P("lo", D(0.0)),
            P("hi", D(1.0)),
            P("step", D(0.125)),
            P("length", D(INF)),
        ],
        0,
        "SuperCollider's Pbrown",
        run_brown,
    ),
    b(
        "series",
        &[P("start", D(0.0)), P("step", D(1.0)), P("length", D(INF))],
        0,
        "start, start+step, start+2·step, … (Pseries)",
        run_series,
    ),
    b(
        "Pseries",
        &[P("start", D(0.0)), P("step", D(1.0)), P("length", D(INF))],
        0,
        "SuperCollider's Pseries",
        run_series,
    ),
    b(
        "geom",
        &[P("start", D(0.0)), P("grow", D(1.0)), P("length", D(INF))],
        0,
        "start, start·grow, start·grow², … (Pgeom)",
        run_geom,
    ),
    b(
        "Pgeom",
        &[P("start", D(0.0)), P("grow", D(1.0)), P("length", D(INF))],
        0,
        "SuperCollider's Pgeom",
        run_geom,
    ),
    b(
        "n",
        &[P("pattern", R), P("repeats", D(INF))],
        0,
        "repeat a stream (Pn)",
        run_n,
    ),
    b(
        "Pn",
        &[P("pattern", R), P("repeats", D(INF))],
        0,
        "SuperCollider's Pn",
        run_n,
    ),
    b(
        "ppar",
        &[P("players", R)],
        0,
        "several records played in parallel (Ppar)",
        run_ppar,
    ),
    b(
        "Ppar",
        &[P("players", R)],
        0,
        "SuperCollider's Ppar",
        run_ppar,
    ),
    b(
        "ptpar",
        &[P("list", R)],
        0,
        "records in parallel, each from its start beat: ptpar([0, a, 2, b]) (Ptpar)",
        run_ptpar,
    ),
    b(
        "Ptpar",
        &[P("list", R)],
        0,
        "SuperCollider's Ptpar",
        run_ptpar,
    ),
    // --- Triggers (see builtins/trigger.rs) ---
    b(
        "integrate",
        &[
            P("signal", R),
            P("threshold", D(1.0)),
            P("leak", D(0.0)),
            P("scale", D(1.0)),
            P("rate", D(4.0)),
            P("prob", D(1.0)),
            P("seed", D(0.0)),
        ],
        0,
        "a trigger: a leaky integrator of a signal that fires and resets at a threshold",
        trigger::run_integrate,
    ),
    b(
        "onsets",
        &[P("pat", R)],
        0,
        "a trigger firing at every onset of a pattern (\"x(3,8)\")",
        trigger::run_onsets,
    ),
    b(
        "timer",
        &[P("bars", R), P("offset", D(0.0))],
        0,
        "a trigger firing every n bars (cycles), the first after n",
        trigger::run_timer,
    ),
    b(
        "chance",
        &[P("prob", R), P("trigger", R), P("seed", D(0.0))],
        1,
        "a trigger keeping each firing with a probability",
        trigger::run_chance,
    ),
    b(
        "share",
        &[
            P("weights", R),
            P("which", R),
            P("trigger", R),
            P("seed", D(0.0)),
        ],
        2,
        "the firings listener `which` takes when each goes to one listener by weight",
        trigger::run_share,
    ),
    b(
        "step",
        &[
            P("list", R),
            P("trigger", R),
            P("quant", D(4.0)),
            P("hold", Def::False),
        ],
        1,
        "item (count mod n) of a list, count being the trigger's firings so far",
        trigger::run_step,
    ),
    b(
        "count",
        &[P("trigger", R), P("quant", D(4.0))],
        0,
        "the number of firings of a trigger so far, as a value",
        trigger::run_count,
    ),
    b(
        "charge",
        &[P("trigger", R)],
        0,
        "an integrator's state as a continuous value (0 up to its threshold)",
        trigger::run_charge,
    ),
    // --- MIDI input (see builtins/control.rs) ---
    b(
        "cc",
        &[
            P("number", R),
            P("channel", D(0.0)),
            P("smooth", D(0.0)),
            P("default", D(0.0)),
        ],
        0,
        "a MIDI controller's value, 0..1 (channel 1-16, 0 any; smooth: glide in beats)",
        control::run_cc,
    ),
    b(
        "held",
        &[P("channel", D(0.0)), P("pedal", Def::True)],
        0,
        "the MIDI notes held now, as a chord (the sustain pedal holds released notes)",
        control::run_held,
    ),
    b(
        "switch",
        &[P("number", R), P("channel", D(0.0))],
        0,
        "true while a MIDI controller is at 64 or above (switch(64): the sustain pedal)",
        control::run_switch,
    ),
    b(
        "toggle",
        &[P("number", R), P("channel", D(0.0))],
        0,
        "a latching button: flips each time a MIDI controller goes up past 64",
        control::run_toggle,
    ),
    b(
        "notes",
        &[P("channel", D(0.0)), P("lo", D(0.0)), P("hi", D(127.0))],
        0,
        "a trigger firing at each MIDI note-on from lo to hi",
        control::run_notes,
    ),
    b(
        "press",
        &[P("number", R), P("channel", D(0.0))],
        0,
        "a trigger firing each time a MIDI controller goes up past 64 (a button press)",
        control::run_press,
    ),
];

const ARP_MODES: &[&str] = &[
    "up", "down", "updown", "downup", "converge", "diverge", "random",
];

/// Index of a builtin by name.
pub fn index_of(name: &str) -> Option<usize> {
    BUILTINS.iter().position(|b| b.name == name)
}

/// Every builtin's name.
pub fn builtin_names() -> impl Iterator<Item = &'static str> {
    BUILTINS.iter().map(|b| b.name)
}

/// Every bare word that means itself, for suggestions.
pub fn symbols() -> impl Iterator<Item = &'static str> {
    ARP_MODES.iter().copied()
}

/// Bare words that mean themselves (arpeggio modes) and constants.
pub fn is_symbol(name: &str) -> bool {
    ARP_MODES.contains(&name)
}

/// The signal a bare builtin stands for (`sine`, `rand` used as a value).
pub(crate) fn signal_of(f: &Rc<Func>) -> Option<PatRef> {
    match &**f {
        Func::Builtin {
            index,
            given,
            named,
        } if given.is_empty() && named.is_empty() => {
            let kind = BUILTINS.get(*index)?.signal?;
            Some(Pat::Signal { kind, seed: 0 }.rc())
        }
        _ => None,
    }
}

/// True for a bare signal builtin.
pub(crate) fn is_signal_val(v: &Val) -> bool {
    matches!(v, Val::Func(f) if signal_of(f).is_some())
}

fn run_signal(_ev: &mut Evaluator<'_>, a: &mut Args) -> EvalResult {
    let kind = BUILTINS
        .get(a.builtin)
        .and_then(|b| b.signal)
        .unwrap_or(SignalKind::Sine);
    Ok(Val::Pat(Pat::Signal { kind, seed: 0 }.rc()))
}

fn run_cat(ev: &mut Evaluator<'_>, a: &mut Args) -> EvalResult {
    let ps = a.pats(ev, 0)?;
    Ok(Val::Pat(Pat::SlowCat(ps).rc()))
}

fn run_ppar(ev: &mut Evaluator<'_>, a: &mut Args) -> EvalResult {
    let items = a.list(ev, 0)?;
    let mut parts = Vec::with_capacity(items.len());
    for it in items {
        parts.push((Time::ZERO, record_events(ev, &it)?));
    }
    Ok(Val::Events(Arc::new(EventPat::Par(parts))))
}

fn run_late(ev: &mut Evaluator<'_>, a: &mut Args) -> EvalResult {
    let t = a.pat(ev, 0)?;
    let p = a.pat(ev, 1)?;
    Ok(Val::Pat(
        Pat::Early {
            amount: Pat::Map {
                op: UnOp::Neg,
                pat: t,
            }
            .rc(),
            pat: p,
        }
        .rc(),
    ))
}

fn late(p: PatRef, t: Time) -> PatRef {
    if t.is_zero() {
        return p;
    }
    Pat::Early {
        amount: Pat::num((-t).to_f64()),
        pat: p,
    }
    .rc()
}

fn gain(p: PatRef, g: f64) -> PatRef {
    if g == 1.0 {
        return p;
    }
    Pat::Gain { factor: g, pat: p }.rc()
}

fn within(s: Time, e: Time, applied: PatRef, p: PatRef) -> PatRef {
    Pat::Stack(vec![
        Pat::OnsetWithin {
            begin: s,
            end: e,
            invert: false,
            pat: applied,
        }
        .rc(),
        Pat::OnsetWithin {
            begin: s,
            end: e,
            invert: true,
            pat: p,
        }
        .rc(),
    ])
    .rc()
}

fn recip(ev: &mut Evaluator<'_>, a: &mut Args, i: usize) -> Result<PatRef, Stop> {
    if let Some(x) = a.get(i).as_num() {
        // Slowing by zero is silence, as in Tidal.
        return Ok(if x == 0.0 {
            Pat::num(0.0)
        } else {
            Pat::num(1.0 / x)
        });
    }
    let f = a.pat(ev, i)?;
    Ok(Pat::Map {
        op: UnOp::Recip,
        pat: f,
    }
    .rc())
}

fn sometimes(ev: &mut Evaluator<'_>, a: &mut Args, x: PatRef, fi: usize, pi: usize) -> EvalResult {
    let p = a.pat(ev, pi)?;
    // Tidal: overlay (degradeBy x p) (f (unDegradeBy x p)); both halves use the same random
    // values, so every event is in exactly one of them.
    let kept = Pat::Degrade {
        amount: x.clone(),
        seed: 0,
        invert: false,
        pat: p.clone(),
    }
    .rc();
    let chosen = Pat::Degrade {
        amount: x,
        seed: 0,
        invert: true,
        pat: p,
    }
    .rc();
    let applied = a.apply(ev, fi, chosen)?;
    Ok(Val::Pat(Pat::Stack(vec![kept, applied]).rc()))
}

fn iter(ev: &mut Evaluator<'_>, a: &mut Args, back: bool) -> EvalResult {
    let n = a.int(ev, 0, "a number of steps", 1, 1024)?;
    let p = a.pat(ev, 1)?;
    let parts = (0..n)
        .map(|i| {
            let t = Time::new(i, n);
            let amount = if back { -t } else { t };
            Pat::Early {
                amount: Pat::num(amount.to_f64()),
                pat: p.clone(),
            }
            .rc()
        })
        .collect();
    Ok(Val::Pat(Pat::SlowCat(parts).rc()))
}

fn run_seq(ev: &mut Evaluator<'_>, a: &mut Args) -> EvalResult {
    let items = a.streams(ev, 0)?;
    let repeats = a.repeats(ev, 1)?;
    let offset = a.int(ev, 2, "an offset", -(1 << 40), 1 << 40)?;
    Ok(Val::Stream(Arc::new(Stream::Seq {
        items,
        repeats,
        offset,
    })))
}

/// The list, repeat count (forever when the builtin has no such parameter) and a fresh
/// seed shared by the random list constructors.
fn random_list(
    ev: &mut Evaluator<'_>,
    a: &mut Args,
) -> Result<(Vec<StreamRef>, Repeats, u64), Stop> {
    let items = a.streams(ev, 0)?;
    let repeats = if a.len() > 1 { a.repeats(ev, 1)? } else { None };
    Ok((items, repeats, ev.fresh_seed()))
}

fn run_rand(ev: &mut Evaluator<'_>, a: &mut Args) -> EvalResult {
    let (items, repeats, seed) = random_list(ev, a)?;
    Ok(Val::Stream(Arc::new(Stream::Rand {
        items,
        repeats,
        seed,
    })))
}

fn run_xrand(ev: &mut Evaluator<'_>, a: &mut Args) -> EvalResult {
    let (items, repeats, seed) = random_list(ev, a)?;
    Ok(Val::Stream(Arc::new(Stream::XRand {
        items,
        repeats,
        seed,
    })))
}

fn run_shuf(ev: &mut Evaluator<'_>, a: &mut Args) -> EvalResult {
    let (items, repeats, seed) = random_list(ev, a)?;
    Ok(Val::Stream(Arc::new(Stream::Shuf {
        items,
        repeats,
        seed,
    })))
}

fn run_wrand(ev: &mut Evaluator<'_>, a: &mut Args) -> EvalResult {
    let items = a.streams(ev, 0)?;
    let wl = a.list(ev, 1)?;
    let mut weights = Vec::with_capacity(wl.len());
    for w in &wl {
        match w.val.as_num() {
            Some(x) if x >= 0.0 && x.is_finite() => weights.push(x),
            _ => {
                return Err(ev.error(
                    Diagnostic::error("E0409", "weights must be numbers of 0 or more", w.span)
                        .with_help("for example `wrand([0, 2, 4], [0.5, 0.25, 0.25])`"),
                ))
            }
        }
    }
    if weights.len() != items.len() {
        return Err(ev.error(
            Diagnostic::error(
                "E0410",
                format!("{} items but {} weights", items.len(), weights.len()),
                a.span(1),
            )
            .with_help("give one weight per item"),
        ));
    }
    if weights.iter().sum::<f64>() <= 0.0 {
        return Err(ev.error(
            Diagnostic::error("E0409", "the weights add up to nothing", a.span(1))
                .with_help("give at least one weight above 0"),
        ));
    }
    let repeats = a.repeats(ev, 2)?;
    let seed = ev.fresh_seed();
    Ok(Val::Stream(Arc::new(Stream::WRand {
        items,
        weights,
        repeats,
        seed,
    })))
}

fn run_white(ev: &mut Evaluator<'_>, a: &mut Args) -> EvalResult {
    let lo = a.stream(ev, 0)?;
    let hi = a.stream(ev, 1)?;
    let length = a.repeats(ev, 2)?;
    let seed = ev.fresh_seed();
    Ok(Val::Stream(Arc::new(Stream::White {
        lo,
        hi,
        length,
        seed,
    })))
}

fn run_exprand(ev: &mut Evaluator<'_>, a: &mut Args) -> EvalResult {
    for i in 0..2 {
        if let Some(x) = a.get(i).as_num() {
            if x <= 0.0 {
                return Err(ev.error(
                    Diagnostic::error("E0411", "exprand's bounds must both be above 0", a.span(i))
                        .with_help("for example `exprand(100, 4000)`"),
                ));
            }
        }
    }
    let lo = a.stream(ev, 0)?;
    let hi = a.stream(ev, 1)?;
    let length = a.repeats(ev, 2)?;
    let seed = ev.fresh_seed();
    Ok(Val::Stream(Arc::new(Stream::ExpRand {
        lo,
        hi,
        length,
        seed,
    })))
}

fn run_brown(ev: &mut Evaluator<'_>, a: &mut Args) -> EvalResult {
    let lo = a.stream(ev, 0)?;
    let hi = a.stream(ev, 1)?;
    let step = a.stream(ev, 2)?;
    let length = a.repeats(ev, 3)?;
    let seed = ev.fresh_seed();
    Ok(Val::Stream(Arc::new(Stream::Brown {
        lo,
        hi,
        step,
        length,
        seed,
    })))
}

fn run_series(ev: &mut Evaluator<'_>, a: &mut Args) -> EvalResult {
    let start = a.stream(ev, 0)?;
    let step = summable_step(ev, a, 1, "series")?;
    let length = a.repeats(ev, 2)?;
    Ok(Val::Stream(Arc::new(Stream::Series {
        start,
        step,
        length,
    })))
}

fn run_geom(ev: &mut Evaluator<'_>, a: &mut Args) -> EvalResult {
    let start = a.stream(ev, 0)?;
    let grow = summable_step(ev, a, 1, "geom")?;
    let length = a.repeats(ev, 2)?;
    Ok(Val::Stream(Arc::new(Stream::Geom {
        start,
        grow,
        length,
    })))
}

/// The step of `series`/`geom`: a number or a stream. SuperCollider's Pseries adds each
/// step to a running total, which needs the step of every earlier event; a pattern or a
/// signal is only known at the current event's onset, so it cannot be summed that way.
fn summable_step(
    ev: &mut Evaluator<'_>,
    a: &mut Args,
    i: usize,
    name: &str,
) -> Result<StreamRef, Stop> {
    if let Some(x) = a.get(i).as_num() {
        return Ok(Stream::num(x));
    }
    let s = a.stream(ev, i)?;
    if reads_time(&s, &mut 4096) {
        return Err(ev.error(
            Diagnostic::error(
                "E0436",
                format!("`{name}` cannot sum a pattern or a signal"),
                a.span(i),
            )
            .with_label("this step depends on time, not on the event count")
            .with_help(format!(
                "`{name}` adds each step to a running total (SuperCollider's Pseries/Pgeom): give the steps as a stream, such as `seq([1, 2])` or `white(-1, 1)`; to accumulate a signal over time, use `integrate(signal).charge`"
            )),
        ));
    }
    Ok(s)
}

/// True when a stream samples a cycle pattern somewhere (bounded walk; past the bound the
/// answer is "yes", the safe side).
fn reads_time(s: &Stream, fuel: &mut u32) -> bool {
    if *fuel == 0 {
        return true;
    }
    *fuel -= 1;
    let any = |v: &[StreamRef], fuel: &mut u32| v.iter().any(|x| reads_time(x, fuel));
    match s {
        Stream::Const(_) => false,
        Stream::Cycle(_) => true,
        Stream::Seq { items, .. }
        | Stream::Rand { items, .. }
        | Stream::XRand { items, .. }
        | Stream::Shuf { items, .. }
        | Stream::WRand { items, .. }
        | Stream::Chord(items) => any(items, fuel),
        Stream::White { lo, hi, .. } | Stream::ExpRand { lo, hi, .. } => {
            reads_time(lo, fuel) || reads_time(hi, fuel)
        }
        Stream::Brown { lo, hi, step, .. } => {
            reads_time(lo, fuel) || reads_time(hi, fuel) || reads_time(step, fuel)
        }
        Stream::Series { start, step, .. } => reads_time(start, fuel) || reads_time(step, fuel),
        Stream::Geom { start, grow, .. } => reads_time(start, fuel) || reads_time(grow, fuel),
        Stream::Repeat { stream, .. } | Stream::Un { stream, .. } | Stream::Arp { stream, .. } => {
            reads_time(stream, fuel)
        }
        Stream::Bin { left, right, .. } => reads_time(left, fuel) || reads_time(right, fuel),
    }
}

fn run_n(ev: &mut Evaluator<'_>, a: &mut Args) -> EvalResult {
    let stream = a.stream(ev, 0)?;
    let repeats = a.repeats(ev, 1)?;
    Ok(Val::Stream(Arc::new(Stream::Repeat { stream, repeats })))
}

fn run_ptpar(ev: &mut Evaluator<'_>, a: &mut Args) -> EvalResult {
    let items = a.list(ev, 0)?;
    if items.len() % 2 != 0 {
        return Err(ev.error(
            Diagnostic::error(
                "E0412",
                "ptpar takes pairs: a start beat, then a record",
                a.span(0),
            )
            .with_help("for example `ptpar([0, { degree: 0 }, 2, { degree: 4 }])`"),
        ));
    }
    let mut parts = Vec::new();
    for pair in items.chunks(2) {
        let (Some(t), Some(r)) = (pair.first(), pair.get(1)) else {
            continue;
        };
        let beat = match t.val.as_num() {
            Some(x) if x >= 0.0 && x.is_finite() => Time::from_f64(x),
            _ => {
                return Err(ev.error(
                    Diagnostic::error(
                        "E0412",
                        "a start beat must be a number of 0 or more",
                        t.span,
                    )
                    .with_help("for example `ptpar([0, { degree: 0 }, 2, { degree: 4 }])`"),
                ))
            }
        };
        parts.push((beat, record_events(ev, r)?));
    }
    Ok(Val::Events(Arc::new(EventPat::Par(parts))))
}

fn record_events(ev: &mut Evaluator<'_>, v: &Spanned) -> Result<Arc<EventPat>, Stop> {
    let name = Ident::new(String::from("ppar"), v.span);
    ev.event_pat(v.val.clone(), v.span, &name)
}

/// Resolve and run a builtin call.
pub(crate) fn call(
    ev: &mut Evaluator<'_>,
    index: usize,
    pos: Vec<Spanned>,
    named: Vec<(Ident, Spanned)>,
    receiver: Option<Spanned>,
    fspan: Span,
    call_span: Span,
) -> EvalResult {
    let Some(spec) = BUILTINS.get(index) else {
        return Err(ev.error(Diagnostic::error(
            "E0900",
            "internal error: unknown builtin (please report this as a bug)",
            fspan,
        )));
    };
    let n = spec.params.len();
    let mut slots: Vec<Option<Spanned>> = vec![None; n];
    let has_receiver = receiver.is_some();
    if let Some(r) = receiver {
        if let Some(s) = slots.get_mut(spec.subject) {
            *s = Some(r);
        } else {
            return Err(ev.error(
                Diagnostic::error(
                    "E0317",
                    format!("`{}` cannot be used as a method", spec.name),
                    fspan,
                )
                .with_help(format!("call it as `{}(…)`", spec.name)),
            ));
        }
    }
    let positional = pos.len();
    let mut free = (0..n).filter(|i| !(has_receiver && *i == spec.subject));
    for arg in pos {
        match free.next() {
            Some(i) => {
                if let Some(s) = slots.get_mut(i) {
                    *s = Some(arg);
                }
            }
            None => {
                let max = n - usize::from(has_receiver);
                return Err(ev.error(
                    Diagnostic::error(
                        "E0316",
                        format!(
                            "`{}` takes {max} argument{}, but {positional} were given",
                            spec.name,
                            plural(max)
                        ),
                        call_span,
                    )
                    .with_help(signature(spec)),
                ));
            }
        }
    }
    for (name, arg) in named {
        match spec.params.iter().position(|p| p.0 == name.node) {
            Some(i) => {
                if slots.get(i).is_some_and(|s| s.is_some()) {
                    return Err(ev.error(
                        Diagnostic::error(
                            "E0313",
                            format!("the argument `{}` is given twice", name.node),
                            name.span,
                        )
                        .with_help(signature(spec)),
                    ));
                }
                if let Some(s) = slots.get_mut(i) {
                    *s = Some(arg);
                }
            }
            None => {
                let d = Diagnostic::error(
                    "E0318",
                    format!("`{}` has no parameter called `{}`", spec.name, name.node),
                    name.span,
                );
                let d = match suggest(&name.node, spec.params.iter().map(|p| p.0)) {
                    Some(s) => d.with_help(format!("did you mean `{s}`? {}", signature(spec))),
                    None => d.with_help(signature(spec)),
                };
                return Err(ev.error(d));
            }
        }
    }
    let missing: Vec<usize> = (0..n)
        .filter(|i| {
            slots.get(*i).is_some_and(|s| s.is_none())
                && matches!(spec.params.get(*i).map(|p| p.1), Some(Def::Req))
        })
        .collect();
    if !missing.is_empty() {
        if has_receiver {
            let names: Vec<&str> = missing
                .iter()
                .filter_map(|i| spec.params.get(*i).map(|p| p.0))
                .collect();
            return Err(ev.error(
                Diagnostic::error(
                    "E0319",
                    format!(
                        "`{}` is missing {}",
                        spec.name,
                        names
                            .iter()
                            .map(|n| format!("`{n}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    call_span,
                )
                .with_help(signature(spec)),
            ));
        }
        // Partial application: keep what was given, in order, for a later call.
        let mut given = Vec::new();
        let mut given_named = Vec::new();
        for (i, s) in slots.into_iter().enumerate() {
            if let Some(s) = s {
                let is_prefix = given.len() == i;
                if is_prefix {
                    given.push(s.val);
                } else if let Some(p) = spec.params.get(i) {
                    given_named.push((p.0.to_string(), s.val));
                }
            }
        }
        return Ok(Val::Func(Rc::new(Func::Builtin {
            index,
            given,
            named: given_named,
        })));
    }
    let mut defaulted = vec![false; n];
    let mut filled = Vec::with_capacity(n);
    for (i, s) in slots.into_iter().enumerate() {
        match s {
            Some(s) => filled.push(s),
            None => {
                if let Some(d) = defaulted.get_mut(i) {
                    *d = true;
                }
                let val = match spec.params.get(i).map(|p| p.1) {
                    Some(Def::Num(x)) => Val::Num(x),
                    Some(Def::True) => Val::Bool(true),
                    Some(Def::False) => Val::Bool(false),
                    _ => Val::Rest,
                };
                filled.push(Spanned {
                    val,
                    span: call_span,
                });
            }
        }
    }
    let mut args = Args {
        builtin: index,
        slots: filled,
        defaulted,
        call_span,
        fspan,
    };
    (spec.run)(ev, &mut args)
}

fn signature(spec: &Builtin) -> String {
    let params: Vec<String> = spec
        .params
        .iter()
        .map(|p| match p.1 {
            Def::Req => p.0.to_string(),
            Def::Num(x) if x.is_infinite() => format!("{}: inf", p.0),
            Def::Num(x) => format!("{}: {}", p.0, patter_pattern::fmt_num(x)),
            Def::True => format!("{}: true", p.0),
            Def::False => format!("{}: false", p.0),
        })
        .collect();
    format!("usage: {}({}) — {}", spec.name, params.join(", "), spec.doc)
}

/// The arguments of one builtin call, all slots filled.
pub(crate) struct Args {
    builtin: usize,
    slots: Vec<Spanned>,
    defaulted: Vec<bool>,
    call_span: Span,
    #[allow(dead_code)]
    fspan: Span,
}

impl Args {
    fn len(&self) -> usize {
        self.slots.len()
    }

    fn get(&self, i: usize) -> Val {
        self.slots
            .get(i)
            .map(|s| s.val.clone())
            .unwrap_or(Val::Rest)
    }

    fn span(&self, i: usize) -> Span {
        self.slots.get(i).map(|s| s.span).unwrap_or(self.call_span)
    }

    fn defaulted(&self, i: usize) -> bool {
        self.defaulted.get(i).copied().unwrap_or(false)
    }

    fn pat(&mut self, ev: &mut Evaluator<'_>, i: usize) -> Result<PatRef, Stop> {
        let v = self.get(i);
        ev.pat_of(&v, self.span(i))
    }

    fn stream(&mut self, ev: &mut Evaluator<'_>, i: usize) -> Result<StreamRef, Stop> {
        let v = self.get(i);
        ev.stream_of(&v, self.span(i))
    }

    fn num(&mut self, ev: &mut Evaluator<'_>, i: usize, what: &str) -> Result<f64, Stop> {
        let v = self.get(i);
        ev.const_num(&v, self.span(i), what)
    }

    fn time(&mut self, ev: &mut Evaluator<'_>, i: usize) -> Result<Time, Stop> {
        let x = self.num(ev, i, "a number of cycles")?;
        Ok(Time::from_f64(x))
    }

    fn int(
        &mut self,
        ev: &mut Evaluator<'_>,
        i: usize,
        what: &str,
        lo: i64,
        hi: i64,
    ) -> Result<i64, Stop> {
        let x = self.num(ev, i, what)?;
        if x.fract() != 0.0 || x < lo as f64 || x > hi as f64 {
            return Err(ev.error(
                Diagnostic::error(
                    "E0413",
                    format!("I was expecting {what}: a whole number from {lo} to {hi}"),
                    self.span(i),
                )
                .with_label(format!("this is {}", patter_pattern::fmt_num(x))),
            ));
        }
        Ok(x as i64)
    }

    fn word(&mut self, ev: &mut Evaluator<'_>, i: usize, what: &str) -> Result<Arc<str>, Stop> {
        let v = self.get(i);
        match v.as_word() {
            Some(w) => Ok(w),
            None => Err(ev.type_error(&v, self.span(i), what)),
        }
    }

    fn repeats(&mut self, ev: &mut Evaluator<'_>, i: usize) -> Result<Repeats, Stop> {
        let v = self.get(i);
        match v.as_num() {
            Some(x) if x.is_infinite() && x > 0.0 => Ok(None),
            Some(x) if x >= 0.0 && x.fract() == 0.0 => Ok(Some(x as u64)),
            _ => Err(ev.error(
                Diagnostic::error(
                    "E0414",
                    "a repeat count must be a whole number of 0 or more, or `inf`",
                    self.span(i),
                )
                .with_help("for example `seq([0, 2, 4], 2)` or `seq([0, 2, 4], inf)`"),
            )),
        }
    }

    fn list(&mut self, ev: &mut Evaluator<'_>, i: usize) -> Result<Vec<Spanned>, Stop> {
        let v = self.get(i);
        let span = self.span(i);
        match v {
            Val::List(items) => Ok(items
                .iter()
                .map(|v| Spanned {
                    val: v.clone(),
                    span,
                })
                .collect()),
            other => Err(ev.error(
                Diagnostic::error(
                    "E0326",
                    format!(
                        "I was expecting a list here, but this is {}",
                        other.describe()
                    ),
                    span,
                )
                .with_label("expected a list like [0, 2, 4]")
                .with_help("lists are written in square brackets: `seq([0, 2, 4])`"),
            )),
        }
    }

    fn streams(&mut self, ev: &mut Evaluator<'_>, i: usize) -> Result<Vec<StreamRef>, Stop> {
        let items = self.list(ev, i)?;
        if items.is_empty() {
            return Err(ev.error(
                Diagnostic::error("E0327", "this list is empty", self.span(i))
                    .with_help("give at least one item: `seq([0, 2, 4])`"),
            ));
        }
        items
            .iter()
            .map(|it| ev.stream_of(&it.val, it.span))
            .collect()
    }

    fn pats(&mut self, ev: &mut Evaluator<'_>, i: usize) -> Result<Vec<PatRef>, Stop> {
        let items = self.list(ev, i)?;
        items.iter().map(|it| ev.pat_of(&it.val, it.span)).collect()
    }

    /// Apply the function in slot `fi` to a pattern; the result must be a pattern.
    fn apply(&mut self, ev: &mut Evaluator<'_>, fi: usize, p: PatRef) -> Result<PatRef, Stop> {
        let f = self.get(fi);
        let fspan = self.span(fi);
        if !matches!(f, Val::Func(_)) {
            return Err(ev.error(
                Diagnostic::error(
                    "E0328",
                    format!(
                        "I was expecting a function here, but this is {}",
                        f.describe()
                    ),
                    fspan,
                )
                .with_help(
                    "for example `every(4, rev)`, `every(4, fast(2))` or `every(4, p => p + 12)`",
                ),
            ));
        }
        let arg = Spanned {
            val: Val::Pat(p),
            span: fspan,
        };
        let out = ev.apply(f, fspan, vec![arg], Vec::new(), self.call_span, None)?;
        if let Val::Func(_) = out {
            return Err(ev.error(
                Diagnostic::error(
                    "E0329",
                    "this function needs more arguments than the pattern",
                    fspan,
                )
                .with_help("give it all its other arguments: `every(4, fast(2))`"),
            ));
        }
        ev.pat_of(&out, fspan)
    }
}

impl Evaluator<'_> {
    /// Special names: `inf`.
    pub(crate) fn constant_name(name: &str) -> Option<Val> {
        match name {
            "inf" => Some(Val::Num(f64::INFINITY)),
            _ => None,
        }
    }
}
