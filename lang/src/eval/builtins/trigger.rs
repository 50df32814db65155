//! Triggers in the language: `integrate`, `onsets`, `timer`, `chance`, `share` make
//! triggers; `step` turns one into values; a player's `start:`/`stop:` settings gate it.
//! The semantics live in `patter_pattern::trigger`; this file checks arguments and builds
//! the IR.

use std::sync::Arc;

use patter_pattern::trigger::{Integrator, Listen, TrigPat, Trigger, TriggerKind, TriggerRef};
use patter_pattern::{BinOp, Bind, Budget, EventPat, Key, Pat, Stream, Time, Value};

use super::super::value::Val;
use super::super::{EvalResult, Evaluator, Stop};
use super::Args;
use crate::diagnostic::Diagnostic;
use crate::span::Span;

/// Work allowed for an integrator's first four cycles when it is defined: more than this
/// is a runaway (a very fine grid, or a signal that is expensive to sample).
const INTEGRATE_PROBE: u64 = 200_000;

/// Highest integrator rate, in samples per beat.
const MAX_RATE: i64 = 256;

impl Args {
    fn trigger(&mut self, ev: &mut Evaluator<'_>, i: usize) -> Result<TriggerRef, Stop> {
        match self.get(i) {
            Val::Trigger(t) => Ok(t),
            // A switch or toggle fires when it turns on.
            other if super::switch_edges(&other, true).is_some() => {
                super::switch_edges(&other, true).ok_or(Stop)
            }
            other => Err(ev.error(
                Diagnostic::error(
                    "E0330",
                    format!(
                        "I was expecting a trigger here, but this is {}",
                        other.describe()
                    ),
                    self.span(i),
                )
                .with_label("expected a trigger")
                .with_help(
                    "triggers come from `integrate(sine)`, `onsets(\"x(3,8)\")` or `timer(4)`",
                ),
            )),
        }
    }

    fn flag(&mut self, ev: &mut Evaluator<'_>, i: usize) -> Result<bool, Stop> {
        match self.get(i) {
            Val::Bool(b) => Ok(b),
            other => {
                let span = self.span(i);
                Err(ev.type_error(&other, span, "true or false"))
            }
        }
    }

    fn probability(&mut self, ev: &mut Evaluator<'_>, i: usize) -> Result<f64, Stop> {
        let p = self.num(ev, i, "a probability")?;
        if !(0.0..=1.0).contains(&p) {
            return Err(ev.error(
                Diagnostic::error(
                    "E0432",
                    format!("a probability of {p} is out of range"),
                    self.span(i),
                )
                .with_label("a probability is from 0 (never) to 1 (always)"),
            ));
        }
        Ok(p)
    }

    fn seed(&mut self, ev: &mut Evaluator<'_>, i: usize) -> Result<u64, Stop> {
        Ok(self.int(ev, i, "a seed", 0, u32::MAX as i64)? as u64)
    }
}

/// A trigger whose seeds also depend on its definition, so two different triggers with
/// the default seed do not make the same random choices.
fn seeded(kind: impl Fn(u64) -> TriggerKind, seed: u64) -> TriggerRef {
    let draft = Trigger::new(kind(seed));
    Trigger::new(kind(draft.key() ^ seed))
}

pub(super) fn run_integrate(ev: &mut Evaluator<'_>, a: &mut Args) -> EvalResult {
    let signal = a.pat(ev, 0)?;
    let threshold = a.num(ev, 1, "a threshold")?;
    if threshold <= 0.0 {
        return Err(ev.error(
            Diagnostic::error("E0430", "an integrator's threshold must be above 0", a.span(1))
                .with_help("the integrator fires when its state reaches the threshold: for example `threshold: 2`"),
        ));
    }
    let leak = a.num(ev, 2, "a leak per beat")?;
    let scale = a.num(ev, 3, "a scale")?;
    let rate = a.int(ev, 4, "a number of samples per beat", 1, MAX_RATE)?;
    if !(0.0..=rate as f64).contains(&leak) {
        return Err(ev.error(
            Diagnostic::error(
                "E0431",
                format!("a leak of {leak} per beat is out of range"),
                a.span(2),
            )
            .with_label(format!(
                "the leak must be from 0 to the rate ({rate} per beat)"
            ))
            .with_help("a leak of 0 integrates forever; a leak of 1 forgets about a beat's worth"),
        ));
    }
    let prob = a.probability(ev, 5)?;
    let seed = a.seed(ev, 6)?;
    let step = Time::ONE / (Time::int(rate) * ev.cycle_beats);
    let trig = seeded(
        |seed| {
            TriggerKind::Integrate(Integrator {
                signal: signal.clone(),
                step,
                dt: 1.0 / rate as f64,
                scale,
                leak,
                threshold,
                prob,
                seed,
            })
        },
        seed,
    );
    if trig
        .instants(Time::int(4), 0, &mut Budget::new(INTEGRATE_PROBE))
        .is_err()
    {
        return Err(ev.error(
            Diagnostic::error("E0433", "this integrator needs too much work", a.call_span)
                .with_label(format!(
                    "more than {INTEGRATE_PROBE} steps for its first four cycles"
                ))
                .with_help("lower the `rate`, or integrate a simpler signal"),
        ));
    }
    Ok(Val::Trigger(trig))
}

pub(super) fn run_onsets(ev: &mut Evaluator<'_>, a: &mut Args) -> EvalResult {
    let p = a.pat(ev, 0)?;
    Ok(Val::Trigger(Trigger::new(TriggerKind::Onsets(p))))
}

pub(super) fn run_timer(ev: &mut Evaluator<'_>, a: &mut Args) -> EvalResult {
    let bars = a.num(ev, 0, "a number of bars")?;
    let offset = a.num(ev, 1, "an offset in bars")?;
    let period = Time::from_f64(bars);
    if period <= Time::ZERO || bars > 1e6 {
        return Err(ev.error(
            Diagnostic::error(
                "E0434",
                format!("a timer every {bars} bars is out of range"),
                a.span(0),
            )
            .with_help("a timer's period is more than 0 bars (cycles): for example `timer(4)`"),
        ));
    }
    if offset.abs() > 1e6 {
        return Err(ev.error(
            Diagnostic::error("E0434", format!("a timer offset of {offset} bars is out of range"), a.span(1))
                .with_help("the offset is at most a million bars either way: for example `timer(4, offset: 1)`"),
        ));
    }
    let offset = Time::from_f64(offset);
    Ok(Val::Trigger(Trigger::new(TriggerKind::Every {
        period,
        offset,
    })))
}

pub(super) fn run_chance(ev: &mut Evaluator<'_>, a: &mut Args) -> EvalResult {
    let prob = a.probability(ev, 0)?;
    let of = a.trigger(ev, 1)?;
    let seed = a.seed(ev, 2)?;
    Ok(Val::Trigger(seeded(
        |seed| TriggerKind::Chance {
            prob,
            seed,
            of: of.clone(),
        },
        seed,
    )))
}

pub(super) fn run_share(ev: &mut Evaluator<'_>, a: &mut Args) -> EvalResult {
    let wl = a.list(ev, 0)?;
    let mut weights = Vec::with_capacity(wl.len());
    for w in &wl {
        match w.val.as_num() {
            Some(x) if x >= 0.0 && x.is_finite() => weights.push(x),
            _ => {
                return Err(ev.error(
                    Diagnostic::error("E0409", "weights must be numbers of 0 or more", w.span)
                        .with_help("for example `t.share([2, 1], 0)`"),
                ))
            }
        }
    }
    if weights.iter().sum::<f64>() <= 0.0 {
        return Err(ev.error(
            Diagnostic::error("E0409", "the weights add up to nothing", a.span(0))
                .with_help("give at least one weight above 0"),
        ));
    }
    let last = weights.len() as i64 - 1;
    let which = a.int(ev, 1, "a listener number (from 0)", 0, last)? as usize;
    let of = a.trigger(ev, 2)?;
    let seed = a.seed(ev, 3)?;
    // Every listener of one share must make the same choice: the seed depends on the
    // trigger and the weights, not on `which`.
    let draft = Trigger::new(TriggerKind::Share {
        weights: weights.clone(),
        which: 0,
        seed,
        of: of.clone(),
    });
    Ok(Val::Trigger(Trigger::new(TriggerKind::Share {
        weights,
        which,
        seed: draft.key() ^ seed,
        of,
    })))
}

/// A quant given in beats (`quant:` argument `i`), in cycles; one cycle when not given.
fn quant_cycles(ev: &mut Evaluator<'_>, a: &mut Args, i: usize) -> Result<Time, Stop> {
    if a.defaulted(i) {
        return Ok(Time::ONE);
    }
    let q = a.num(ev, i, "a quant in beats")?;
    beats_to_quant(ev, q, a.span(i))
}

pub(crate) fn beats_to_quant(ev: &mut Evaluator<'_>, q: f64, span: Span) -> Result<Time, Stop> {
    let t = Time::from_f64(q);
    if !(0.0..=1024.0).contains(&q) || (q > 0.0 && t.is_zero()) {
        return Err(ev.error(
            Diagnostic::error(
                "E0435",
                format!("a quant of {q} beats is out of range"),
                span,
            )
            .with_label("quant is from 0 (at once) to 1024 beats")
            .with_help("for example `quant: 4` (the next bar of 4/4)"),
        ));
    }
    Ok(t / ev.cycle_beats)
}

pub(super) fn run_step(ev: &mut Evaluator<'_>, a: &mut Args) -> EvalResult {
    let list = a.list(ev, 0)?;
    if list.is_empty() {
        return Err(ev.error(
            Diagnostic::error("E0327", "this list is empty", a.span(0))
                .with_help("give at least one item: `t.step([dorian, phrygian])`"),
        ));
    }
    let mut items = Vec::with_capacity(list.len());
    for it in &list {
        items.push(ev.pat_of(&it.val, it.span)?);
    }
    let trigger = a.trigger(ev, 1)?;
    let quant = quant_cycles(ev, a, 2)?;
    let hold = a.flag(ev, 3)?;
    Ok(Val::Pat(
        Pat::Trig(Arc::new(TrigPat::Step {
            listen: Listen { trigger, quant },
            items,
            hold,
        }))
        .rc(),
    ))
}

pub(super) fn run_count(ev: &mut Evaluator<'_>, a: &mut Args) -> EvalResult {
    let trigger = a.trigger(ev, 0)?;
    let quant = quant_cycles(ev, a, 1)?;
    Ok(Val::Pat(
        Pat::Trig(Arc::new(TrigPat::Count(Listen { trigger, quant }))).rc(),
    ))
}

pub(super) fn run_charge(ev: &mut Evaluator<'_>, a: &mut Args) -> EvalResult {
    let trig = a.trigger(ev, 0)?;
    if !matches!(trig.kind(), TriggerKind::Integrate(_)) {
        return Err(ev.error(
            Diagnostic::error("E0437", "only an integrator has a charge", a.span(0))
                .with_label("this trigger is not an integrator")
                .with_help("for example `integrate(sine, threshold: 2).charge`"),
        ));
    }
    Ok(Val::Pat(Pat::Trig(Arc::new(TrigPat::Charge(trig))).rc()))
}

impl Evaluator<'_> {
    pub(crate) fn trigger_as_value(&mut self, span: Span) -> Stop {
        self.error(
            Diagnostic::error("E0330", "a trigger is not a value a key can hold", span)
                .with_label("this is a trigger")
                .with_help("turn it into values with `step`: `scale: t.step([dorian, phrygian])`; or start and stop a player with it: `start: t`"),
        )
    }

    /// Take a player's `start:` and `stop:` settings out of its record: the gate they make
    /// (quantised like the player's changes: its `quant`, else one bar).
    pub(crate) fn gate_options(
        &mut self,
        v: Val,
        quant: Option<Time>,
    ) -> Result<(Val, Option<TrigPat>), Stop> {
        let Val::Record(fields) = &v else {
            return Ok((v, None));
        };
        if !fields
            .iter()
            .any(|(k, _, _)| k.node == "start" || k.node == "stop")
        {
            return Ok((v, None));
        }
        let q = match quant {
            Some(beats) => beats / self.cycle_beats,
            None => Time::ONE,
        };
        let mut start = None;
        let mut stop = None;
        let mut rest = Vec::with_capacity(fields.len());
        for (k, val, span) in fields.iter() {
            let slot = match k.node.as_str() {
                "start" => &mut start,
                "stop" => &mut stop,
                _ => {
                    rest.push((k.clone(), val.clone(), *span));
                    continue;
                }
            };
            // A switch or toggle starts a player when it turns on and stops it when it
            // turns off.
            let edges = super::switch_edges(val, k.node == "start");
            match val {
                Val::Trigger(t) => {
                    *slot = Some(Listen {
                        trigger: t.clone(),
                        quant: q,
                    })
                }
                _ if edges.is_some() => {
                    *slot = edges.map(|trigger| Listen { trigger, quant: q });
                }
                other => {
                    let d = other.describe();
                    return Err(self.error(
                        Diagnostic::error(
                            "E0330",
                            format!("`{}` takes a trigger, not {d}", k.node),
                            *span,
                        )
                        .with_help("for example `start: timer(8)`, `stop: onsets(\"x(3,8)\")` or `start: switch(64)`"),
                    ));
                }
            }
        }
        Ok((
            Val::Record(std::rc::Rc::new(rest)),
            Some(TrigPat::Gate { start, stop }),
        ))
    }
}

/// Silence a player's events while its gate is off: one key's value is combined with the
/// gate (a rest when off), which keeps the player's rhythm, phase and values.
pub(crate) fn gate_player(body: &Arc<EventPat>, gate: &Arc<TrigPat>) -> Arc<EventPat> {
    match &**body {
        EventPat::Bind(bind) => {
            let gate_stream = Arc::new(Stream::Cycle(Pat::Trig(gate.clone()).rc()));
            let timing = ["dur", "delta", "stretch", "scale"];
            let mut keys = bind.keys.clone();
            let target = keys.iter().position(|(k, _)| !timing.contains(&&**k));
            match target.and_then(|i| keys.get_mut(i)) {
                Some((_, s)) => {
                    *s = Arc::new(Stream::Bin {
                        op: BinOp::Left,
                        left: s.clone(),
                        right: gate_stream,
                    });
                }
                None => {
                    // Only timing keys: gate `amp` at its default level.
                    let amp: Key = Key::AMP;
                    keys.push((
                        amp,
                        Arc::new(Stream::Bin {
                            op: BinOp::Left,
                            left: Arc::new(Stream::Const(Value::Num(0.1))),
                            right: gate_stream,
                        }),
                    ));
                }
            }
            Arc::new(EventPat::Bind(Bind { keys }))
        }
        EventPat::Par(parts) => Arc::new(EventPat::Par(
            parts
                .iter()
                .map(|(t, p)| (*t, gate_player(p, gate)))
                .collect(),
        )),
    }
}
