//! From a pattern event to a [`NoteSpec`] (control side: not called on the audio thread).

use patter_pattern::{Event, Value};

use crate::{Instrument, NoteSpec, SampleBank};

/// Middle C: a sample plays at its recorded pitch when the event's `freq` is this (or when
/// the event has no pitch at all), as SuperDirt leaves a sample alone at `note` 0.
const SAMPLE_BASE_FREQ: f64 = 261.625_565_300_598_6;

/// Why an event makes no note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Skip {
    /// A rest.
    Rest,
    /// The sound name is neither a sample folder of the bank nor a built-in instrument.
    Unknown(String),
    /// `s` or `instrument` is not a string.
    NotAName,
}

/// [`spec_from_event_with`] with no samples: built-in instruments only; `None` for a rest
/// or an unknown sound name.
pub fn spec_from_event(ev: &Event, frames_per_beat: f64) -> Option<NoteSpec> {
    spec_from_event_with(ev, frames_per_beat, &SampleBank::empty(0)).ok()
}

/// The note an event asks for, with `frames_per_beat` at the current tempo.
///
/// The sound comes from `s` (or `instrument`), else a sine. A name that is a folder of
/// `bank` plays a sample, and wins over a built-in instrument of the same name (SuperDirt
/// users expect their own `bd`); the file is `n` if given, else a `name:N` suffix, else 0.
///
/// Keys read: `freq` (else middle C; for a sample, the playback rate relative to middle
/// C), `amp`, `gain` (amp · gain⁴ as in SuperDirt), `pan`, `attack`, `decay`, `sustainLevel`, `release`, `cutoff`/`lpf`,
/// `resonance`/`lpq`, `room`, `size`, `dry`, `delay`, `delaytime`,
/// `delayfeedback`/`delayfb`, `cut`, and for samples `speed`, `begin`, `end`. The gate is the
/// event's sustain, except that a sample with neither a `sustain` nor a `legato` key plays
/// to its end, as in SuperDirt. Missing keys keep [`NoteSpec::new`]'s values (for samples,
/// [`NoteSpec::sample`]'s).
pub fn spec_from_event_with(
    ev: &Event,
    frames_per_beat: f64,
    bank: &SampleBank,
) -> Result<NoteSpec, Skip> {
    if ev.params.iter().any(|(_, v)| matches!(v, Value::Rest)) {
        return Err(Skip::Rest);
    }
    let num = |key: &str| {
        ev.get(key)
            .and_then(Value::as_num)
            .filter(|x| x.is_finite())
    };
    let gate = (ev.sustain * frames_per_beat).clamp(1.0, f64::from(u32::MAX)) as u32;
    let mut spec = match ev.get("s").or_else(|| ev.get("instrument")) {
        Some(Value::Str(full)) => {
            let (name, suffix) = match full.split_once(':') {
                Some((n, i)) => (n, i.trim().parse::<i64>().ok()),
                None => (&**full, None),
            };
            if bank.contains(name) {
                let index = num("n")
                    .map(|x| x.floor().clamp(i64::MIN as f64, i64::MAX as f64) as i64)
                    .or(suffix)
                    .unwrap_or(0);
                let mut spec = NoteSpec::sample(name, index);
                if ev.get("sustain").is_some() || ev.get("legato").is_some() {
                    spec.sustain_frames = gate;
                }
                if let Some(f) = num("freq") {
                    spec.speed = (f / SAMPLE_BASE_FREQ) as f32;
                }
                if let Some(x) = num("speed") {
                    spec.speed *= x as f32;
                }
                if let Some(x) = num("begin") {
                    spec.begin = x as f32;
                }
                if let Some(x) = num("end") {
                    spec.end = x as f32;
                }
                spec
            } else {
                match Instrument::from_name(name) {
                    Some(inst) => {
                        NoteSpec::new(inst, num("freq").unwrap_or(SAMPLE_BASE_FREQ) as f32, gate)
                    }
                    None => return Err(Skip::Unknown(name.to_string())),
                }
            }
        }
        Some(_) => return Err(Skip::NotAName),
        None => NoteSpec::new(
            Instrument::Sine,
            num("freq").unwrap_or(SAMPLE_BASE_FREQ) as f32,
            gate,
        ),
    };
    let set = |field: &mut f32, keys: &[&str]| {
        if let Some(x) = keys.iter().find_map(|k| num(k)) {
            *field = x as f32;
        }
    };
    set(&mut spec.amp, &["amp"]);
    if let Some(g) = num("gain") {
        // SuperDirt's curve: amp · gain⁴, with gain capped at 2.
        spec.amp *= g.clamp(0.0, 2.0).powi(4) as f32;
    }
    set(&mut spec.pan, &["pan"]);
    set(&mut spec.attack, &["attack"]);
    set(&mut spec.decay, &["decay"]);
    set(&mut spec.sustain_level, &["sustainLevel"]);
    set(&mut spec.release, &["release"]);
    set(&mut spec.cutoff, &["cutoff", "lpf"]);
    set(&mut spec.resonance, &["resonance", "lpq"]);
    set(&mut spec.room, &["room"]);
    set(&mut spec.dry, &["dry"]);
    set(&mut spec.delay, &["delay"]);
    if let Some(c) = num("cut") {
        spec.cut = c.floor().clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i32;
    }
    let opt = |keys: &[&str]| keys.iter().find_map(|k| num(k)).map(|x| x as f32);
    spec.size = opt(&["size"]);
    spec.delaytime = opt(&["delaytime"]);
    spec.delayfeedback = opt(&["delayfeedback", "delayfb"]);
    Ok(spec)
}
