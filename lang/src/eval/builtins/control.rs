//! MIDI input in the language: `cc`, `held`, `switch` and `toggle` are values read from
//! the input; `notes` and `press` are triggers. With no input every value is its default
//! and no trigger fires. The semantics live in `patter_pattern::control`; this file checks
//! arguments and builds the IR.

use std::sync::Arc;

use patter_pattern::control::{ControlPat, ControlSource, Edge, InputSource, InputTrigger};
use patter_pattern::trigger::{TrigPat, Trigger, TriggerKind, TriggerRef};
use patter_pattern::{ArpMode, Pat, PatRef, Stream, StreamRef};

use super::super::value::Val;
use super::super::{EvalResult, Evaluator, Stop};
use super::Args;
use crate::diagnostic::Diagnostic;

/// Longest glide, in beats.
const MAX_SMOOTH: f64 = 1024.0;

impl Args {
    /// A MIDI channel argument: 1–16, or 0 for any (`None`); 0–15 inside.
    fn channel(&mut self, ev: &mut Evaluator<'_>, i: usize) -> Result<Option<u8>, Stop> {
        let c = self.int(ev, i, "a MIDI channel (1 to 16, or 0 for any)", 0, 16)?;
        Ok((c > 0).then(|| (c - 1) as u8))
    }

    fn midi_number(&mut self, ev: &mut Evaluator<'_>, i: usize, what: &str) -> Result<u8, Stop> {
        Ok(self.int(ev, i, what, 0, 127)? as u8)
    }
}

fn control(ev: &Evaluator<'_>, source: ControlSource) -> EvalResult {
    Ok(Val::Pat(
        Pat::Trig(Arc::new(TrigPat::Control(ControlPat {
            source,
            cycle_beats: ev.cycle_beats,
        })))
        .rc(),
    ))
}

pub(super) fn run_cc(ev: &mut Evaluator<'_>, a: &mut Args) -> EvalResult {
    let number = a.midi_number(ev, 0, "a controller number")?;
    let channel = a.channel(ev, 1)?;
    let smooth = a.num(ev, 2, "a glide time in beats")?;
    if !(0.0..=MAX_SMOOTH).contains(&smooth) {
        return Err(ev.error(
            Diagnostic::error(
                "E0440",
                format!("a glide of {smooth} beats is out of range"),
                a.span(2),
            )
            .with_label(format!("`smooth` is from 0 (none) to {MAX_SMOOTH} beats"))
            .with_help(
                "for example `cc(74, smooth: 0.5)` follows the knob within about half a beat",
            ),
        ));
    }
    let default = a.num(ev, 3, "a default value")?;
    if !default.is_finite() {
        return Err(ev.error(
            Diagnostic::error(
                "E0440",
                "a controller's default must be a number",
                a.span(3),
            )
            .with_help("for example `cc(74, default: 0.5)`"),
        ));
    }
    control(
        ev,
        ControlSource::Cc {
            number,
            channel,
            smooth,
            default,
        },
    )
}

pub(super) fn run_held(ev: &mut Evaluator<'_>, a: &mut Args) -> EvalResult {
    let channel = a.channel(ev, 0)?;
    let pedal = match a.get(1) {
        Val::Bool(b) => b,
        other => {
            let span = a.span(1);
            return Err(ev.type_error(&other, span, "true or false"));
        }
    };
    control(ev, ControlSource::Held { channel, pedal })
}

pub(super) fn run_switch(ev: &mut Evaluator<'_>, a: &mut Args) -> EvalResult {
    let number = a.midi_number(ev, 0, "a controller number")?;
    let channel = a.channel(ev, 1)?;
    control(ev, ControlSource::Switch { number, channel })
}

pub(super) fn run_toggle(ev: &mut Evaluator<'_>, a: &mut Args) -> EvalResult {
    let number = a.midi_number(ev, 0, "a controller number")?;
    let channel = a.channel(ev, 1)?;
    control(ev, ControlSource::Toggle { number, channel })
}

fn input_trigger(ev: &Evaluator<'_>, source: InputSource) -> TriggerRef {
    Trigger::new(TriggerKind::Input(InputTrigger {
        source,
        cycle_beats: ev.cycle_beats,
    }))
}

pub(super) fn run_notes(ev: &mut Evaluator<'_>, a: &mut Args) -> EvalResult {
    let channel = a.channel(ev, 0)?;
    let lo = a.midi_number(ev, 1, "a MIDI note number")?;
    let hi = a.midi_number(ev, 2, "a MIDI note number")?;
    if lo > hi {
        return Err(ev.error(
            Diagnostic::error(
                "E0441",
                format!("no note is from {lo} up to {hi}"),
                a.call_span,
            )
            .with_help(
                "`lo` is the lowest note and `hi` the highest: for example `notes(lo: 36, hi: 51)`",
            ),
        ));
    }
    Ok(Val::Trigger(input_trigger(
        ev,
        InputSource::Notes { channel, lo, hi },
    )))
}

pub(super) fn run_press(ev: &mut Evaluator<'_>, a: &mut Args) -> EvalResult {
    let number = a.midi_number(ev, 0, "a controller number")?;
    let channel = a.channel(ev, 1)?;
    Ok(Val::Trigger(input_trigger(
        ev,
        InputSource::Cc {
            channel,
            number,
            edge: Edge::Rise,
        },
    )))
}

/// A `switch` or `toggle` used where a trigger is expected (`start:`/`stop:`): the
/// moments it turns on (`rising`) or off.
pub(crate) fn switch_edges(v: &Val, rising: bool) -> Option<TriggerRef> {
    let Val::Pat(p) = v else {
        return None;
    };
    let Pat::Trig(t) = &**p else {
        return None;
    };
    let TrigPat::Control(c) = &**t else {
        return None;
    };
    let input = c.edges(rising)?;
    Some(Trigger::new(TriggerKind::Input(input)))
}

/// True for a pattern whose values are the held notes (possibly transposed): it has no
/// rhythm of its own, so `arp` steps through it per event instead.
fn is_held(p: &Pat) -> bool {
    match p {
        Pat::Trig(t) => matches!(
            &**t,
            TrigPat::Control(ControlPat {
                source: ControlSource::Held { .. },
                ..
            })
        ),
        Pat::App { left, .. } => is_held(left),
        Pat::Map { pat, .. } => is_held(pat),
        _ => false,
    }
}

/// `arp` of the held notes or of a stream of chords: the arpeggiator form, which plays
/// the next note of the arpeggio at each event. `None` for ordinary patterns (Tidal's
/// `arp`).
pub(super) fn stream_arp(mode: ArpMode, v: &Val) -> Option<StreamRef> {
    let stream = match v {
        Val::Stream(s) => s.clone(),
        Val::Pat(p) if is_held(p) => Arc::new(Stream::Cycle(PatRef::clone(p))),
        _ => return None,
    };
    Some(Arc::new(Stream::Arp { mode, stream }))
}
