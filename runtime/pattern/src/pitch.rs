//! SuperCollider's default Event model: pitch, level and duration derivation.
//!
//! Follows `Event.sc`'s default parent event (see `shared/reference/sc-event-model.md`):
//!
//! ```text
//! note     = (degree + mtranspose).degreeToKey(scale, stepsPerOctave)
//! midinote = ((note + gtranspose + root) / stepsPerOctave + octave - 5)
//!            * (12 * log2(octaveRatio)) + 60
//! freq     = midicps(midinote + ctranspose) * harmonic       (+ detune Hz)
//! ```
//!
//! A key given directly bypasses the levels above it: `freq` given derives nothing (no
//! `midinote`), `midinote` given derives only `freq`, `note` given skips the degree.
//!
//! Named scales behave like SC's `Scale` objects: their steps are read through their
//! tuning into semitones (a 24-TET step is half a semitone, Partch scales are just), so
//! `stepsPerOctave` stays 12 and `root`/`gtranspose` stay in semitones. A user scale (a
//! chord of numbers) behaves like an SC `Array` scale: its values are in `stepsPerOctave`
//! steps, so `stepsPerOctave: 19` with `scale: [0,3,6,…]` plays 19-TET.
//!
//! Levels: `amp` given wins, else `db.dbamp` (default db −20 → amp 0.1). `velocity` (MIDI)
//! is not derived in SC's Event (it defaults to 64 there); patter derives it from `amp` so
//! that MIDI output follows `amp`/`db`: `round(amp · 127)` clamped to 1..=127, unless given.

use std::sync::OnceLock;

use crate::key::Key;
use crate::scale::{self, Scale};
use crate::value::Value;

/// Keys whose presence makes an event pitched.
pub const PITCH_KEYS: &[&str] = &[
    "degree",
    "note",
    "midinote",
    "freq",
    "scale",
    "root",
    "octave",
    "mtranspose",
    "gtranspose",
    "ctranspose",
    "stepsPerOctave",
    "harmonic",
    "detune",
];

/// Default `legato`.
pub const DEFAULT_LEGATO: f64 = 0.8;
/// Default `db` (amp 0.1).
pub const DEFAULT_DB: f64 = -20.0;

/// A scale as the Event sees it: a named (tuned) scale or a user list of steps.
#[derive(Clone, Copy, Debug)]
pub enum ScaleRef<'a> {
    /// A directory scale: steps read through its tuning, in semitones.
    Named(&'static Scale),
    /// A user list of steps (units of `stepsPerOctave`).
    Steps(&'a [f64]),
}

/// SC's `midicps`: 440 Hz at MIDI 69.
pub fn midi_to_freq(midi: f64) -> f64 {
    440.0 * ((midi - 69.0) / 12.0).exp2()
}

/// SC's `cpsmidi`.
pub fn freq_to_midi(freq: f64) -> f64 {
    12.0 * (freq / 440.0).log2() + 69.0
}

/// SC's `dbamp`.
pub fn db_to_amp(db: f64) -> f64 {
    10f64.powf(db / 20.0)
}

/// `db_to_amp(DEFAULT_DB)`, computed once (most events give neither `amp` nor `db`).
fn default_amp() -> f64 {
    static AMP: OnceLock<f64> = OnceLock::new();
    *AMP.get_or_init(|| db_to_amp(DEFAULT_DB))
}

/// SC's `round` for degrees: half up (1.5 → 2, −1.5 → −1).
fn round_half_up(x: f64) -> f64 {
    (x + 0.5).floor()
}

/// `degree.degreeToKey(scale, stepsPerOctave)`: the degree rounded half up picks the
/// scale step (wrapping by octave with floor division), and the remainder times 10 is an
/// accidental in semitones scaled to `stepsPerOctave / 12`.
pub fn degree_to_key(degree: f64, scale: ScaleRef<'_>, steps_per_octave: f64) -> f64 {
    let rounded = round_half_up(degree);
    let accidental = (degree - rounded) * 10.0;
    let d = if rounded.is_finite() {
        rounded.clamp(-1e15, 1e15) as i64
    } else {
        0
    };
    let base = match scale {
        ScaleRef::Named(s) => {
            let size = s.size().max(1) as i64;
            steps_per_octave * d.div_euclid(size) as f64 + s.semitones_at(d)
        }
        ScaleRef::Steps(steps) => {
            if steps.is_empty() {
                steps_per_octave * d as f64
            } else {
                let size = steps.len() as i64;
                let step = steps
                    .get(d.rem_euclid(size) as usize)
                    .copied()
                    .unwrap_or(0.0);
                steps_per_octave * d.div_euclid(size) as f64 + step
            }
        }
    };
    if accidental == 0.0 {
        base
    } else {
        base + accidental * (steps_per_octave / 12.0)
    }
}

/// `midinote` from `note` (Event.sc's `midinote` function).
pub fn note_to_midi(
    note: f64,
    gtranspose: f64,
    root: f64,
    steps_per_octave: f64,
    octave: f64,
    octave_ratio: f64,
) -> f64 {
    // The default ratio (an octave) needs no logarithm: log2(2) is exactly 1.
    let semitones_per_octave = if octave_ratio == 2.0 {
        12.0
    } else {
        12.0 * octave_ratio.log2()
    };
    ((note + gtranspose + root) / steps_per_octave + octave - 5.0) * semitones_per_octave + 60.0
}

/// `sustain = dur · legato · stretch`.
pub fn sustain(dur: f64, legato: f64, stretch: f64) -> f64 {
    dur * legato * stretch
}

/// `delta = dur · stretch`.
pub fn delta(dur: f64, stretch: f64) -> f64 {
    dur * stretch
}

/// MIDI velocity from amp: `round(amp · 127)` clamped to 1..=127.
pub fn amp_to_velocity(amp: f64) -> f64 {
    let x = amp * 127.0;
    // `round` is a library call on baseline x86-64; inside (1, 127) the truncating cast
    // and the fraction give the same half-away-from-zero rounding. NaN lands on 1.
    if x.is_nan() || x <= 1.0 {
        return 1.0;
    }
    if x >= 127.0 {
        return 127.0;
    }
    let whole = x as i64 as f64;
    if x - whole >= 0.5 {
        whole + 1.0
    } else {
        whole
    }
}

/// The keys of one event that the Event model reads, gathered in one pass.
#[derive(Clone, Debug, Default)]
pub struct Fields {
    /// `degree`.
    pub degree: Option<f64>,
    /// `note`.
    pub note: Option<f64>,
    /// `midinote`.
    pub midinote: Option<f64>,
    /// `freq`.
    pub freq: Option<f64>,
    /// `scale` (a name or a chord of steps).
    pub scale: Option<Value>,
    /// `root`.
    pub root: Option<f64>,
    /// `octave`.
    pub octave: Option<f64>,
    /// `mtranspose`.
    pub mtranspose: Option<f64>,
    /// `gtranspose`.
    pub gtranspose: Option<f64>,
    /// `ctranspose`.
    pub ctranspose: Option<f64>,
    /// `stepsPerOctave`.
    pub steps_per_octave: Option<f64>,
    /// `octaveRatio`.
    pub octave_ratio: Option<f64>,
    /// `harmonic`.
    pub harmonic: Option<f64>,
    /// `detune`.
    pub detune: Option<f64>,
    /// `amp`.
    pub amp: Option<f64>,
    /// `db`.
    pub db: Option<f64>,
    /// `velocity`.
    pub velocity: Option<f64>,
    /// `sustain`.
    pub sustain: Option<f64>,
    /// `legato`.
    pub legato: Option<f64>,
    /// `dur`.
    pub dur: Option<f64>,
    /// `stretch`.
    pub stretch: Option<f64>,
    /// Any key of [`PITCH_KEYS`] is present.
    pub has_pitch_key: bool,
    /// `s` or `sound` is present.
    pub has_sound: bool,
}

/// Which field of [`Fields`] a key name feeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Slot {
    Degree,
    Note,
    Midinote,
    Freq,
    Scale,
    Root,
    Octave,
    Mtranspose,
    Gtranspose,
    Ctranspose,
    StepsPerOctave,
    Harmonic,
    Detune,
    OctaveRatio,
    Amp,
    Db,
    Velocity,
    Sustain,
    Legato,
    Dur,
    Stretch,
    /// `s` or `sound`.
    Sound,
    Other,
}

impl Slot {
    /// The slot of a key name.
    pub(crate) fn of(key: &str) -> Slot {
        match key {
            "degree" => Slot::Degree,
            "note" => Slot::Note,
            "midinote" => Slot::Midinote,
            "freq" => Slot::Freq,
            "scale" => Slot::Scale,
            "root" => Slot::Root,
            "octave" => Slot::Octave,
            "mtranspose" => Slot::Mtranspose,
            "gtranspose" => Slot::Gtranspose,
            "ctranspose" => Slot::Ctranspose,
            "stepsPerOctave" => Slot::StepsPerOctave,
            "harmonic" => Slot::Harmonic,
            "detune" => Slot::Detune,
            "octaveRatio" => Slot::OctaveRatio,
            "amp" => Slot::Amp,
            "db" => Slot::Db,
            "velocity" => Slot::Velocity,
            "sustain" => Slot::Sustain,
            "legato" => Slot::Legato,
            "dur" => Slot::Dur,
            "stretch" => Slot::Stretch,
            "s" | "sound" => Slot::Sound,
            _ => Slot::Other,
        }
    }

    /// True for the keys of [`PITCH_KEYS`] that make an event pitched.
    fn is_pitch(self) -> bool {
        matches!(
            self,
            Slot::Degree
                | Slot::Note
                | Slot::Midinote
                | Slot::Freq
                | Slot::Scale
                | Slot::Root
                | Slot::Octave
                | Slot::Mtranspose
                | Slot::Gtranspose
                | Slot::Ctranspose
                | Slot::StepsPerOctave
                | Slot::Harmonic
                | Slot::Detune
        )
    }
}

impl Fields {
    /// Read the fields from a parameter list (a later duplicate wins).
    pub fn read(params: &[(Key, Value)]) -> Fields {
        let mut f = Fields::default();
        for (k, v) in params {
            f.add(k, v);
        }
        f
    }

    /// Take one key's value into account (a later call for the same key wins).
    pub fn add(&mut self, key: &str, v: &Value) {
        self.add_slot(Slot::of(key), v);
    }

    /// [`Fields::add`] for a key already classified (players classify their keys once).
    pub(crate) fn add_slot(&mut self, slot: Slot, v: &Value) {
        let f = self;
        let x = || v.as_num();
        match slot {
            Slot::Degree => f.degree = x(),
            Slot::Note => f.note = x(),
            Slot::Midinote => f.midinote = x(),
            Slot::Freq => f.freq = x(),
            Slot::Scale => f.scale = Some(v.clone()),
            Slot::Root => f.root = x(),
            Slot::Octave => f.octave = x(),
            Slot::Mtranspose => f.mtranspose = x(),
            Slot::Gtranspose => f.gtranspose = x(),
            Slot::Ctranspose => f.ctranspose = x(),
            Slot::StepsPerOctave => f.steps_per_octave = x(),
            Slot::Harmonic => f.harmonic = x(),
            Slot::Detune => f.detune = x(),
            Slot::OctaveRatio => f.octave_ratio = x(),
            Slot::Amp => f.amp = x(),
            Slot::Db => f.db = x(),
            Slot::Velocity => f.velocity = x(),
            Slot::Sustain => f.sustain = x(),
            Slot::Legato => f.legato = x(),
            Slot::Dur => f.dur = x(),
            Slot::Stretch => f.stretch = x(),
            Slot::Sound => f.has_sound = true,
            Slot::Other => {}
        }
        f.has_pitch_key |= slot.is_pitch();
    }

    /// True when the event should get a pitch: it has a pitch key, or no `s`/`sound`
    /// (SC's default instrument is pitched).
    pub fn is_pitched(&self) -> bool {
        self.has_pitch_key || !self.has_sound
    }

    /// `(midinote, freq)`: `midinote` is `None` when `freq` was given.
    pub fn pitch(&self) -> (Option<f64>, f64) {
        let detune = self.detune.unwrap_or(0.0);
        if let Some(freq) = self.freq {
            return (None, freq + detune);
        }
        let midinote = match self.midinote {
            Some(m) => m,
            None => {
                let steps: Vec<f64>;
                let (scale, named_spo) = match &self.scale {
                    Some(Value::Chord(vs)) => {
                        steps = vs.iter().filter_map(Value::as_num).collect();
                        (ScaleRef::Steps(&steps), None)
                    }
                    Some(Value::Str(name)) => (
                        ScaleRef::Named(scale::lookup(name).unwrap_or(scale::major())),
                        Some(12.0),
                    ),
                    Some(Value::Num(x)) => {
                        steps = vec![*x];
                        (ScaleRef::Steps(&steps), None)
                    }
                    _ => (ScaleRef::Named(scale::major()), Some(12.0)),
                };
                let spo = self.steps_per_octave.or(named_spo).unwrap_or(12.0);
                let note = match self.note {
                    Some(n) => n,
                    None => degree_to_key(
                        self.degree.unwrap_or(0.0) + self.mtranspose.unwrap_or(0.0),
                        scale,
                        spo,
                    ),
                };
                note_to_midi(
                    note,
                    self.gtranspose.unwrap_or(0.0),
                    self.root.unwrap_or(0.0),
                    spo,
                    self.octave.unwrap_or(5.0),
                    self.octave_ratio.unwrap_or(2.0),
                )
            }
        };
        let freq = midi_to_freq(midinote + self.ctranspose.unwrap_or(0.0))
            * self.harmonic.unwrap_or(1.0)
            + detune;
        (Some(midinote), freq)
    }

    /// `amp`: given, else `db.dbamp`.
    pub fn amp(&self) -> f64 {
        match (self.amp, self.db) {
            (Some(a), _) => a,
            (None, Some(db)) => db_to_amp(db),
            (None, None) => default_amp(),
        }
    }
}

/// Replace `key`'s value, or insert it where it keeps a name-sorted list sorted.
pub(crate) fn set_sorted(params: &mut Vec<(Key, Value)>, key: &Key, value: Value) {
    match params.binary_search_by(|(k, _)| k.cmp(key)) {
        Ok(pos) => {
            if let Some(slot) = params.get_mut(pos) {
                slot.1 = value;
            }
        }
        Err(pos) => params.insert(pos, (key.clone(), value)),
    }
}

/// True when the event should get a pitch (see [`Fields::is_pitched`]).
pub fn is_pitched(params: &[(Key, Value)]) -> bool {
    Fields::read(params).is_pitched()
}

/// The `freq` and `midinote` (when derived) of an event's parameters.
pub fn pitch_of(params: &[(Key, Value)]) -> (Option<f64>, f64) {
    Fields::read(params).pitch()
}

/// `amp` of an event: `amp` given, else `db.dbamp`.
pub fn amp_of(params: &[(Key, Value)]) -> f64 {
    Fields::read(params).amp()
}

/// Write derived values into a name-sorted parameter list: `midinote` (when derived),
/// `freq` (when pitched), `amp` (times `gain`) and `velocity` (unless given).
pub(crate) fn write_derived(params: &mut Vec<(Key, Value)>, fields: &Fields, gain: f64) {
    let pitched = fields.is_pitched();
    let (midinote, freq) = if pitched { fields.pitch() } else { (None, 0.0) };
    let amp = fields.amp() * gain;
    let velocity = fields.velocity;
    if let Some(m) = midinote {
        set_sorted(params, &Key::MIDINOTE, Value::Num(m));
    }
    if pitched {
        set_sorted(params, &Key::FREQ, Value::Num(freq));
    }
    set_sorted(params, &Key::AMP, Value::Num(amp));
    if velocity.is_none() {
        set_sorted(params, &Key::VELOCITY, Value::Num(amp_to_velocity(amp)));
    }
}

/// Full derivation: sorts `params` by key name, then adds `midinote` (unless bypassed),
/// `freq`, `amp` and `velocity`. Existing entries for derived keys are overwritten.
pub fn derive(params: &mut Vec<(Key, Value)>) {
    params.sort_by(|a, b| a.0.cmp(&b.0));
    let mut fields = Fields::read(params);
    // Derivation is unconditional here: the caller asked for a pitch.
    fields.has_pitch_key = true;
    write_derived(params, &fields, 1.0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn velocity_rounds_as_round_does() {
        let reference = |amp: f64| {
            if amp.is_nan() {
                1.0
            } else {
                (amp * 127.0).round().clamp(1.0, 127.0)
            }
        };
        let mut amps = vec![
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -1.0,
            0.0,
            0.1,
            0.5 / 127.0,
            1.5 / 127.0,
            126.5 / 127.0,
            1.0,
            2.0,
        ];
        for i in 0..=20_000 {
            let x = f64::from(i) / 20_000.0 * 1.1;
            amps.extend([x, x.next_up(), x.next_down()]);
        }
        for k in 0..=128 {
            let half = (f64::from(k) + 0.5) / 127.0;
            amps.extend([half, half.next_up(), half.next_down()]);
        }
        for amp in amps {
            assert_eq!(
                amp_to_velocity(amp).to_bits(),
                reference(amp).to_bits(),
                "{amp}"
            );
        }
    }
}
