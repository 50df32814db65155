//! Offline rendering: a program's events over a range of beats, as timed MIDI messages,
//! with no clock and no devices.

use patter_pattern::{Budget, Event, Program, QueryCache, Time, TimeSpan};

use crate::midi::{event_messages, sort, TimedMsg};

/// Steps allowed per player per cycle rendered.
const BUDGET_PER_CYCLE: u64 = 2_000_000;

/// A player ran out of budget while rendering.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderError {
    /// The player's name.
    pub player: String,
    /// The beat where it happened.
    pub beat: Time,
}

/// Every event with an onset in `[from, to)` beats, queried a cycle at a time.
pub fn events(program: &Program, from: Time, to: Time) -> Result<Vec<Event>, RenderError> {
    let mut out = Vec::new();
    let mut cache = QueryCache::default();
    let mut failed = Vec::new();
    let mut t = from;
    let step = if program.cycle_beats > Time::ZERO {
        program.cycle_beats
    } else {
        Time::int(4)
    };
    while t < to {
        let stop = (t + step).min(to);
        program.query(
            TimeSpan::new(t, stop),
            &mut cache,
            Budget::new(BUDGET_PER_CYCLE),
            &mut out,
            &mut failed,
        );
        if let Some(&i) = failed.first() {
            let player = program
                .players
                .get(i as usize)
                .map(|p| p.name.to_string())
                .unwrap_or_default();
            return Err(RenderError { player, beat: t });
        }
        t = stop;
    }
    Ok(out)
}

/// The MIDI messages of `[from, to)`, in playing order. Notes still sounding at `to` are
/// released at `to` (as a live stop would), so the file never leaves a note hanging.
pub fn midi_messages(
    program: &Program,
    from: Time,
    to: Time,
) -> Result<Vec<TimedMsg>, RenderError> {
    let mut msgs = Vec::new();
    for e in events(program, from, to)? {
        event_messages(&e, &mut msgs);
    }
    for m in &mut msgs {
        if m.msg.is_note_off() && m.beat > to {
            m.beat = to;
        }
    }
    sort(&mut msgs);
    Ok(msgs)
}
