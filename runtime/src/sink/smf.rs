//! A sink that records what plays to a Standard MIDI File, from the events' exact beats:
//! the file equals `patter render -o x.mid` of the same program and seed.

use std::path::PathBuf;

use patter_pattern::{Event, Time};

use super::{EventTimes, Sink, SinkCounters, SinkMetrics};
use crate::midi::{event_messages, TimedMsg};

/// Records events; writes the file on [`Sink::close`].
pub struct SmfRecorder {
    name: String,
    path: PathBuf,
    tempo: f64,
    players: Vec<String>,
    msgs: Vec<TimedMsg>,
    last_beat: Time,
    counters: SinkCounters,
}

impl SmfRecorder {
    /// Record to `path` at `tempo` BPM (the file's tempo).
    pub fn new(path: impl Into<PathBuf>, tempo: f64) -> SmfRecorder {
        let path = path.into();
        SmfRecorder {
            name: format!("smf:{}", path.display()),
            path,
            tempo,
            players: Vec::new(),
            msgs: Vec::new(),
            last_beat: Time::ZERO,
            counters: SinkCounters::default(),
        }
    }

    /// Name the tracks (player index → name).
    pub fn set_players(&mut self, names: Vec<String>) {
        self.players = names;
    }

    /// The messages recorded so far.
    pub fn messages(&self) -> &[TimedMsg] {
        &self.msgs
    }

    /// Write the file now.
    pub fn write(&self) -> std::io::Result<()> {
        let mut names: Vec<String> = self.players.clone();
        let max = self
            .msgs
            .iter()
            .map(|m| m.player as usize + 1)
            .max()
            .unwrap_or(0);
        while names.len() < max {
            names.push(format!("player{}", names.len()));
        }
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let mut bytes = Vec::new();
        crate::smf::write(&self.msgs, self.tempo, &refs, &mut bytes)?;
        std::fs::write(&self.path, bytes)
    }

    /// Stop recording at `beat`: notes still sounding are released there.
    pub fn end_at(&mut self, beat: Time) {
        for m in &mut self.msgs {
            if m.msg.is_note_off() && m.beat > beat {
                m.beat = beat;
            }
        }
        self.msgs.retain(|m| m.beat <= beat || m.msg.is_note_off());
    }
}

impl Sink for SmfRecorder {
    fn name(&self) -> &str {
        &self.name
    }

    fn schedule(&mut self, event: &Event, _times: EventTimes) {
        let before = self.msgs.len();
        event_messages(event, &mut self.msgs);
        self.counters.sent.fetch_add(
            (self.msgs.len() - before) as u64,
            std::sync::atomic::Ordering::Relaxed,
        );
        self.last_beat = self.last_beat.max(event.beat);
    }

    fn release_all(&mut self) {}

    fn metrics(&self) -> SinkMetrics {
        self.counters.snapshot(&self.name, 0)
    }

    fn close(&mut self) {
        if self.write().is_err() {
            self.counters
                .errors
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }
}
