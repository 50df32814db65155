//! From a pattern event to a [`NoteSpec`] (control side: not called on the audio thread).

use patter_pattern::{Event, Value};

use crate::{Instrument, NoteSpec};

/// The note an event asks for, with `frames_per_beat` at the current tempo; `None` for a
/// rest or an unknown sound name (the caller reports it). The sound comes from `s` (a
/// trailing `:n` sample index is ignored) or `instrument`, else a sine. Keys read: `freq`
/// (else middle C), `amp`, `pan`, `attack`, `release`, `cutoff`/`lpf`, `resonance`/`lpq`;
/// missing keys keep [`NoteSpec::new`]'s values.
pub fn spec_from_event(ev: &Event, frames_per_beat: f64) -> Option<NoteSpec> {
    if ev.params.iter().any(|(_, v)| matches!(v, Value::Rest)) {
        return None;
    }
    let instrument = match ev.get("s").or_else(|| ev.get("instrument")) {
        Some(Value::Str(name)) => {
            let base = name.split(':').next().unwrap_or(name);
            Instrument::from_name(base)?
        }
        Some(_) => return None,
        None => Instrument::Sine,
    };
    let num = |key: &str| {
        ev.get(key)
            .and_then(Value::as_num)
            .filter(|x| x.is_finite())
    };
    let sustain = (ev.sustain * frames_per_beat).clamp(1.0, f64::from(u32::MAX)) as u32;
    let mut spec = NoteSpec::new(
        instrument,
        num("freq").unwrap_or(261.625_58) as f32,
        sustain,
    );
    if let Some(x) = num("amp") {
        spec.amp = x as f32;
    }
    if let Some(x) = num("pan") {
        spec.pan = x as f32;
    }
    if let Some(x) = num("attack") {
        spec.attack = x as f32;
    }
    if let Some(x) = num("release") {
        spec.release = x as f32;
    }
    if let Some(x) = num("cutoff").or_else(|| num("lpf")) {
        spec.cutoff = x as f32;
    }
    if let Some(x) = num("resonance").or_else(|| num("lpq")) {
        spec.resonance = x as f32;
    }
    Some(spec)
}
