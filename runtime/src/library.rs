//! Building programs from Rust, without the language: looping lists of notes, and scenes
//! made by closures (see `examples/library.rs`).

use std::sync::Arc;

use patter_pattern::{Bind, EventPat, Key, Player, Program, Stream, StreamRef, Time, Value};

/// One note of a [`NoteLoop`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Note {
    /// Onset in beats from the start of the loop.
    pub beat: Time,
    /// MIDI note number.
    pub key: u8,
    /// MIDI velocity (1–127).
    pub velocity: u8,
    /// How long it sounds, in beats.
    pub length: Time,
}

/// A plain list of notes played as a loop on one MIDI channel.
#[derive(Clone, Debug, PartialEq)]
pub struct NoteLoop {
    /// Player name.
    pub name: String,
    /// MIDI channel (0–15).
    pub channel: u8,
    /// Loop length in beats.
    pub length: Time,
    /// The notes (any order; notes at the same beat sound together).
    pub notes: Vec<Note>,
}

impl NoteLoop {
    /// An empty loop of `length` beats on `channel`.
    pub fn new(name: impl Into<String>, channel: u8, length: Time) -> NoteLoop {
        NoteLoop {
            name: name.into(),
            channel: channel.min(15),
            length,
            notes: Vec::new(),
        }
    }

    /// Add a note (builder style).
    pub fn note(mut self, beat: Time, key: u8, velocity: u8, length: Time) -> NoteLoop {
        self.notes.push(Note {
            beat,
            key: key.min(127),
            velocity: velocity.clamp(1, 127),
            length,
        });
        self
    }

    /// The player for this loop: a Pbind of `midinote`, `velocity`, `sustain` and `delta`
    /// streams, with a rest where the loop starts before its first note.
    pub fn player(&self, seed: u64) -> Player {
        let mut notes: Vec<Note> = self
            .notes
            .iter()
            .copied()
            .filter(|n| n.beat >= Time::ZERO && n.beat < self.length)
            .collect();
        notes.sort_by(|a, b| a.beat.cmp(&b.beat).then(a.key.cmp(&b.key)));
        let mut keys: Vec<StreamRef> = Vec::new();
        let mut vels: Vec<StreamRef> = Vec::new();
        let mut lens: Vec<StreamRef> = Vec::new();
        let mut deltas: Vec<StreamRef> = Vec::new();
        let c = |v: Value| Arc::new(Stream::Const(v));
        let first = notes.first().map(|n| n.beat).unwrap_or(self.length);
        if first > Time::ZERO {
            keys.push(c(Value::Rest));
            vels.push(c(Value::Num(0.0)));
            lens.push(c(Value::Num(0.0)));
            deltas.push(c(Value::Num(first.to_f64())));
        }
        let mut i = 0;
        while let Some(n) = notes.get(i) {
            let group: Vec<Note> = notes
                .iter()
                .skip(i)
                .take_while(|m| m.beat == n.beat)
                .copied()
                .collect();
            i += group.len();
            let next = notes.get(i).map(|m| m.beat).unwrap_or(self.length);
            let chord = |f: &dyn Fn(&Note) -> f64| -> StreamRef {
                if group.len() == 1 {
                    c(Value::Num(group.first().map(f).unwrap_or(0.0)))
                } else {
                    c(Value::Chord(
                        group
                            .iter()
                            .map(|g| Value::Num(f(g)))
                            .collect::<Vec<_>>()
                            .into(),
                    ))
                }
            };
            keys.push(chord(&|g| g.key as f64));
            vels.push(chord(&|g| g.velocity as f64));
            lens.push(chord(&|g| g.length.to_f64()));
            deltas.push(c(Value::Num((next - n.beat).to_f64())));
        }
        let seq = |items: Vec<StreamRef>| {
            Arc::new(Stream::Seq {
                items,
                repeats: None,
                offset: 0,
            })
        };
        let bind = if keys.is_empty() {
            // An empty loop: one rest per loop.
            Bind {
                keys: vec![
                    (Key::new("midinote"), c(Value::Rest)),
                    (
                        Key::new("delta"),
                        c(Value::Num(self.length.to_f64().max(1.0))),
                    ),
                ],
            }
        } else {
            Bind {
                keys: vec![
                    (Key::new("midinote"), seq(keys)),
                    (Key::new("velocity"), seq(vels)),
                    (Key::new("sustain"), seq(lens)),
                    (Key::new("delta"), seq(deltas)),
                    (Key::new("chan"), c(Value::Num(self.channel as f64))),
                ],
            }
        };
        Player {
            name: Arc::from(self.name.as_str()),
            body: Arc::new(EventPat::Bind(bind)),
            seed,
            muted: false,
            quant: None,
            restart: false,
            feel: None,
            active: None,
        }
    }
}

/// A program made of note loops, at `tempo` BPM.
pub fn program_of(loops: &[NoteLoop], tempo: f64) -> Program {
    Program {
        tempo,
        players: loops
            .iter()
            .enumerate()
            .map(|(i, l)| l.player(i as u64))
            .collect(),
        ..Program::default()
    }
}
