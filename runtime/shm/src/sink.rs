//! The engine sink that writes the ring: [`ShmSink`].
//!
//! It writes on the scheduler thread, ahead of time: each record carries its future
//! `CLOCK_MONOTONIC` timestamp and the reader schedules it. A note's on and off records are
//! both written when the note is scheduled, so records are in the order written, not sorted
//! by time. Events become records through the same mapping as MIDI ([`patter_runtime::midi`]):
//! the same channel, note, velocity and controls a MIDI port would get.

use std::time::Instant;

use patter_pattern::{Event, Value};
use patter_runtime::midi::{self, TimedMsg};
use patter_runtime::sink::{EventTimes, Sink, SinkMetrics};

use crate::layout::{monotonic_ns, ClockRef, Kind, Record};
use crate::ring::{ShmError, Writer};

/// A sink that publishes events to a shared-memory ring (`--out shm:NAME`).
pub struct ShmSink {
    name: String,
    writer: Option<Writer>,
    clock: ClockRef,
    latency: f64,
    msgs: Vec<TimedMsg>,
}

impl ShmSink {
    /// Create the segment `segment` with room for `capacity` records; `origin` is the
    /// engine's time origin (engine second 0).
    pub fn create(segment: &str, capacity: usize, origin: Instant) -> Result<ShmSink, ShmError> {
        let clock = ClockRef::for_origin(origin);
        let writer = Writer::create(segment, capacity, clock)?;
        Ok(ShmSink {
            name: format!("shm:{segment}"),
            writer: Some(writer),
            clock,
            latency: 0.0,
            msgs: Vec::with_capacity(64),
        })
    }

    /// Seconds added to every timestamp.
    pub fn set_latency(&mut self, seconds: f64) {
        self.latency = if seconds.is_finite() { seconds } else { 0.0 };
    }

    fn push(&mut self, rec: Record) {
        if let Some(w) = &mut self.writer {
            w.push(rec);
        }
    }
}

fn num(e: &Event, key: &str) -> Option<f64> {
    e.get(key).and_then(Value::as_num).filter(|x| x.is_finite())
}

fn duration_us(seconds: f64) -> u32 {
    (seconds * 1e6).round().clamp(0.0, u32::MAX as f64) as u32
}

impl Sink for ShmSink {
    fn name(&self) -> &str {
        &self.name
    }

    fn latency(&self) -> f64 {
        self.latency
    }

    fn schedule(&mut self, event: &Event, times: EventTimes) {
        let on_ns = self.clock.to_monotonic_ns(times.onset + self.latency);
        let off_ns = self.clock.to_monotonic_ns(times.release + self.latency);
        let base = Record {
            time_ns: on_ns,
            player: u16::try_from(event.player).unwrap_or(u16::MAX),
            duration_us: duration_us(times.release - times.onset),
            beat: event.beat.to_f64() as f32,
            ..Record::default()
        };
        let amp = num(event, "amp");
        let pitched = num(event, "midinote").is_some();
        let mut msgs = std::mem::take(&mut self.msgs);
        msgs.clear();
        midi::event_messages(event, &mut msgs);
        let mut channel = midi::channel(event);
        for m in &msgs {
            let [status, a, b] = m.msg.bytes;
            let chan = status & 0x0f;
            let at_onset = m.beat == event.beat;
            let rec = match status & 0xf0 {
                0x90 => {
                    channel = chan;
                    if !pitched {
                        // A drum name: a trigger below, not a note.
                        continue;
                    }
                    Record {
                        kind: Kind::NoteOn as u8,
                        channel: chan,
                        note: a,
                        velocity: b,
                        value: amp.unwrap_or(f64::from(b) / 127.0) as f32,
                        ..base
                    }
                }
                0x80 => {
                    if !pitched {
                        continue;
                    }
                    Record {
                        time_ns: if at_onset { on_ns } else { off_ns },
                        kind: Kind::NoteOff as u8,
                        channel: chan,
                        note: a,
                        duration_us: 0,
                        ..base
                    }
                }
                0xb0 => Record {
                    kind: Kind::Control as u8,
                    channel: chan,
                    note: a,
                    velocity: b,
                    value: control_value(event, a).unwrap_or(f64::from(b)) as f32,
                    duration_us: 0,
                    ..base
                },
                0xc0 => Record {
                    kind: Kind::Program as u8,
                    channel: chan,
                    note: a,
                    duration_us: 0,
                    ..base
                },
                0xe0 => Record {
                    kind: Kind::Bend as u8,
                    channel: chan,
                    value: num(event, "bend").unwrap_or(0.0).clamp(-1.0, 1.0) as f32,
                    duration_us: 0,
                    ..base
                },
                _ => continue,
            };
            self.push(rec);
        }
        if !pitched {
            let drum = match event.get("s") {
                Some(Value::Str(s)) => midi::gm_drum(s),
                _ => None,
            };
            let velocity = num(event, "velocity")
                .map(|v| v.round().clamp(1.0, 127.0) as u8)
                .unwrap_or(64);
            self.push(Record {
                kind: Kind::Trigger as u8,
                channel,
                note: drum.unwrap_or(0),
                velocity,
                value: amp.unwrap_or(f64::from(velocity) / 127.0) as f32,
                ..base
            });
        }
        self.msgs = msgs;
    }

    fn release_all(&mut self) {
        self.push(Record {
            time_ns: monotonic_ns(),
            kind: Kind::AllOff as u8,
            ..Record::default()
        });
    }

    fn metrics(&self) -> SinkMetrics {
        let (sent, dropped) = self
            .writer
            .as_ref()
            .map(|w| (w.written(), w.overruns()))
            .unwrap_or((0, 0));
        SinkMetrics {
            name: self.name.clone(),
            sent,
            late: 0,
            late_us_max: 0,
            dropped,
            errors: 0,
            queue_depth: 0,
            connected: self.writer.is_some(),
            server: None,
            clock_corrections: 0,
            resent: 0,
        }
    }

    fn close(&mut self) {
        // Marks the writer gone and removes the segment name (readers keep their mapping).
        self.writer = None;
    }
}

/// The pattern's own value for controller `n` (`ccN`, or `control` when `ctlNum` is `n`).
fn control_value(e: &Event, n: u8) -> Option<f64> {
    let named = e
        .params
        .iter()
        .find(|(k, _)| k.strip_prefix("cc").and_then(|d| d.parse::<u8>().ok()) == Some(n))
        .and_then(|(_, v)| v.as_num())
        .filter(|x| x.is_finite());
    named.or_else(|| {
        num(e, "ctlNum")
            .filter(|c| c.round() as i64 == i64::from(n))
            .and_then(|_| num(e, "control"))
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::ring::Reader;
    use patter_pattern::{Time, TimeSpan};

    fn event(params: Vec<(&str, Value)>, sustain: f64) -> Event {
        let mut params: Vec<_> = params
            .into_iter()
            .map(|(k, v)| (patter_pattern::Key::new(k), v))
            .collect();
        params.sort_by(|a: &(patter_pattern::Key, Value), b| a.0.cmp(&b.0));
        Event {
            player: 3,
            whole: TimeSpan::new(Time::ZERO, Time::new(1, 4)),
            beat: Time::int(2),
            dur: Time::ONE,
            sustain,
            params: params.into(),
        }
    }

    fn sink(tag: &str) -> (ShmSink, Reader) {
        let name = format!("patter-sink-{tag}-{}", std::process::id());
        let s = ShmSink::create(&name, 64, Instant::now()).unwrap();
        let r = Reader::open(&name).unwrap();
        (s, r)
    }

    #[test]
    fn a_note_writes_on_and_off_records_at_onset_and_release() {
        let (mut s, mut r) = sink("note");
        let e = event(
            vec![
                ("midinote", Value::Num(60.0)),
                ("velocity", Value::Num(100.0)),
                ("amp", Value::Num(0.5)),
                ("chan", Value::Num(2.0)),
            ],
            0.5,
        );
        s.schedule(
            &e,
            EventTimes {
                onset: 1.0,
                release: 1.25,
            },
        );
        let recs: Vec<Record> = r.drain().collect();
        assert_eq!(recs.len(), 2);
        let (on, off) = (recs[0], recs[1]);
        assert_eq!(on.kind(), Some(Kind::NoteOn));
        assert_eq!(
            (on.channel, on.note, on.velocity, on.player),
            (2, 60, 100, 3)
        );
        assert_eq!(on.value, 0.5);
        assert_eq!(on.duration_us, 250_000);
        assert_eq!(on.beat, 2.0);
        assert_eq!(off.kind(), Some(Kind::NoteOff));
        assert_eq!((off.channel, off.note), (2, 60));
        let c = r.clock();
        assert!((c.to_engine_seconds(on.time_ns) - 1.0).abs() < 1e-6);
        assert!((c.to_engine_seconds(off.time_ns) - 1.25).abs() < 1e-6);
    }

    #[test]
    fn unpitched_events_are_triggers_with_general_midi_drum_notes() {
        let (mut s, mut r) = sink("drum");
        let times = EventTimes {
            onset: 0.5,
            release: 0.6,
        };
        s.schedule(&event(vec![("s", Value::str("bd"))], 0.2), times);
        s.schedule(&event(vec![("s", Value::str("glitch"))], 0.2), times);
        let recs: Vec<(Option<Kind>, u8, u8)> =
            r.drain().map(|x| (x.kind(), x.note, x.channel)).collect();
        assert_eq!(
            recs,
            vec![(Some(Kind::Trigger), 36, 9), (Some(Kind::Trigger), 0, 0)]
        );
    }

    #[test]
    fn controls_carry_number_seven_bit_value_and_the_pattern_value() {
        let (mut s, mut r) = sink("cc");
        s.schedule(
            &event(
                vec![("cc74", Value::Num(63.6)), ("midinote", Value::Num(64.0))],
                1.0,
            ),
            EventTimes {
                onset: 0.0,
                release: 0.5,
            },
        );
        let recs: Vec<Record> = r.drain().collect();
        let kinds: Vec<Option<Kind>> = recs.iter().map(Record::kind).collect();
        assert_eq!(
            kinds,
            vec![Some(Kind::Control), Some(Kind::NoteOn), Some(Kind::NoteOff)]
        );
        assert_eq!((recs[0].note, recs[0].velocity), (74, 64));
        assert!((recs[0].value - 63.6).abs() < 1e-5);
    }

    #[test]
    fn release_all_writes_an_all_off_record_and_overruns_show_as_dropped() {
        let (mut s, mut r) = sink("alloff");
        s.release_all();
        assert_eq!(r.try_read().unwrap().kind(), Some(Kind::AllOff));
        let e = event(vec![("midinote", Value::Num(60.0))], 0.5);
        let times = EventTimes {
            onset: 0.0,
            release: 0.1,
        };
        for _ in 0..40 {
            s.schedule(&e, times);
        }
        // 64 slots, 80 records: 16 dropped, and the metrics say so.
        let m = s.metrics();
        assert_eq!((m.sent, m.dropped), (65, 16));
        s.close();
        assert!(!r.writer_alive());
        assert_eq!(r.drain().count(), 64);
    }
}
