//! The tempo clock: beats (exact) to seconds (float) and back.
//!
//! The timeline is a list of segments, each starting at an exact beat: a constant tempo, or
//! a linear tempo ramp over a number of beats (followed by the constant end tempo). Seconds
//! are computed from the start of the segment with a closed formula, never accumulated, so
//! there is no drift however long it runs, and a change of tempo at a beat is continuous
//! there (no phase jump). Seconds count from the clock's origin (the engine maps them to
//! its monotonic clock once).

use patter_pattern::Time;

/// One stretch of the tempo map.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Segment {
    /// Exact start beat.
    beat: Time,
    /// Seconds at `beat` (derived from the segments before).
    sec: f64,
    /// Tempo at the start (beats per minute).
    bpm: f64,
    /// For a ramp: its length in beats and the tempo it reaches.
    ramp: Option<(Time, f64)>,
}

impl Segment {
    /// Seconds from the segment start to `db` beats into it (db within the segment).
    fn secs_into(&self, db: f64) -> f64 {
        match self.ramp {
            Some((len, end_bpm)) => {
                let len = len.to_f64();
                let k = (end_bpm - self.bpm) / len; // bpm per beat
                if k.abs() < 1e-12 {
                    return db * 60.0 / self.bpm;
                }
                // ∫ 60 / (bpm + k·b) db = 60/k · ln(1 + k·db/bpm)
                60.0 / k * (k * db / self.bpm).ln_1p()
            }
            None => db * 60.0 / self.bpm,
        }
    }

    /// Inverse of [`Segment::secs_into`].
    fn beats_into(&self, ds: f64) -> f64 {
        match self.ramp {
            Some((len, end_bpm)) => {
                let len = len.to_f64();
                let k = (end_bpm - self.bpm) / len;
                if k.abs() < 1e-12 {
                    return ds * self.bpm / 60.0;
                }
                self.bpm / k * (k * ds / 60.0).exp_m1()
            }
            None => ds * self.bpm / 60.0,
        }
    }

    fn end_beat(&self) -> Option<Time> {
        self.ramp.map(|(len, _)| self.beat + len)
    }

    fn bpm_at(&self, db: f64) -> f64 {
        match self.ramp {
            Some((len, end_bpm)) => {
                let f = (db / len.to_f64()).clamp(0.0, 1.0);
                self.bpm + (end_bpm - self.bpm) * f
            }
            None => self.bpm,
        }
    }
}

/// Lowest and highest tempo accepted (BPM).
pub const TEMPO_RANGE: (f64, f64) = (1.0, 1000.0);

/// A tempo map from beat 0.
#[derive(Clone, Debug, PartialEq)]
pub struct TempoClock {
    segments: Vec<Segment>,
}

impl TempoClock {
    /// A clock at `bpm` from beat 0 (second 0).
    pub fn new(bpm: f64) -> TempoClock {
        TempoClock {
            segments: vec![Segment {
                beat: Time::ZERO,
                sec: 0.0,
                bpm: clamp_bpm(bpm),
                ramp: None,
            }],
        }
    }

    /// The first beat of the map (0 unless rebased).
    pub fn start_beat(&self) -> Time {
        self.segments.first().map(|s| s.beat).unwrap_or(Time::ZERO)
    }

    fn segment_for_beat(&self, beat: Time) -> &Segment {
        let i = self.segments.partition_point(|s| s.beat <= beat);
        self.segments
            .get(i.saturating_sub(1))
            .or_else(|| self.segments.first())
            .unwrap_or(&FALLBACK)
    }

    fn segment_for_sec(&self, sec: f64) -> &Segment {
        let i = self.segments.partition_point(|s| s.sec <= sec);
        self.segments
            .get(i.saturating_sub(1))
            .or_else(|| self.segments.first())
            .unwrap_or(&FALLBACK)
    }

    /// Seconds at an exact beat.
    pub fn seconds_at(&self, beat: Time) -> f64 {
        let s = self.segment_for_beat(beat);
        s.sec + s.secs_into((beat - s.beat).to_f64())
    }

    /// The beat at a time in seconds (a float: wall time is not exact).
    pub fn beat_at(&self, sec: f64) -> f64 {
        let s = self.segment_for_sec(sec);
        s.beat.to_f64() + s.beats_into(sec - s.sec)
    }

    /// The tempo at a beat.
    pub fn bpm_at(&self, beat: Time) -> f64 {
        let s = self.segment_for_beat(beat);
        s.bpm_at((beat - s.beat).to_f64())
    }

    /// Restart the map so that `beat` falls at `sec`, keeping the tempo in force at `beat`
    /// (seek, loop, resume after pause). Planned changes after `beat` are dropped.
    pub fn rebase(&mut self, beat: Time, sec: f64) {
        let bpm = self.bpm_at(beat);
        self.segments = vec![Segment {
            beat,
            sec,
            bpm,
            ramp: None,
        }];
    }

    /// Change to `bpm` from `beat` on. Changes already planned at or after `beat` are
    /// dropped. The engine only asks for beats it has not scheduled yet.
    pub fn set_tempo(&mut self, bpm: f64, beat: Time) {
        self.push(Segment {
            beat,
            sec: 0.0,
            bpm: clamp_bpm(bpm),
            ramp: None,
        });
    }

    /// Ramp linearly from the tempo at `beat` to `bpm` over `beats` beats, then stay there.
    pub fn ramp_tempo(&mut self, bpm: f64, beats: Time, beat: Time) {
        if beats <= Time::ZERO {
            self.set_tempo(bpm, beat);
            return;
        }
        let start_bpm = self.bpm_at(beat);
        let end = clamp_bpm(bpm);
        self.push(Segment {
            beat,
            sec: 0.0,
            bpm: start_bpm,
            ramp: Some((beats, end)),
        });
        self.push(Segment {
            beat: beat + beats,
            sec: 0.0,
            bpm: end,
            ramp: None,
        });
    }

    fn push(&mut self, mut seg: Segment) {
        if seg.beat < Time::ZERO {
            seg.beat = Time::ZERO;
        }
        // Drop planned changes at or after this beat, except a ramp we are cutting short,
        // which keeps its start.
        while self.segments.len() > 1 && self.segments.last().is_some_and(|s| s.beat >= seg.beat) {
            self.segments.pop();
        }
        if let Some(last) = self.segments.last_mut() {
            if last.beat >= seg.beat {
                // Replacing the first segment at its own start.
                seg.sec = last.sec;
                *last = seg;
                return;
            }
            // A ramp cut short ends where the new segment starts.
            if let Some(end) = last.end_beat() {
                if end > seg.beat {
                    let len = seg.beat - last.beat;
                    let reached = last.bpm_at(len.to_f64());
                    last.ramp = Some((len, reached));
                }
            }
            seg.sec = last.sec + last.secs_into((seg.beat - last.beat).to_f64());
        }
        self.segments.push(seg);
    }
}

static FALLBACK: Segment = Segment {
    beat: Time::ZERO,
    sec: 0.0,
    bpm: 120.0,
    ramp: None,
};

fn clamp_bpm(bpm: f64) -> f64 {
    if bpm.is_finite() {
        bpm.clamp(TEMPO_RANGE.0, TEMPO_RANGE.1)
    } else {
        120.0
    }
}

/// Tap tempo: the tempo from the intervals between the last few taps.
#[derive(Clone, Debug, Default)]
pub struct TapTempo {
    taps: Vec<f64>,
}

impl TapTempo {
    /// Taps further apart than this start a new count.
    const RESET_AFTER: f64 = 2.0;
    /// Intervals averaged.
    const KEEP: usize = 5;

    /// Record a tap at `sec`; returns the tempo once there are at least two taps.
    pub fn tap(&mut self, sec: f64) -> Option<f64> {
        if let Some(&last) = self.taps.last() {
            if sec <= last || sec.is_nan() || sec - last > Self::RESET_AFTER {
                self.taps.clear();
            }
        }
        self.taps.push(sec);
        if self.taps.len() > Self::KEEP {
            self.taps.remove(0);
        }
        let (first, last) = (*self.taps.first()?, *self.taps.last()?);
        let intervals = self.taps.len().checked_sub(1).filter(|n| *n > 0)?;
        Some(clamp_bpm(60.0 * intervals as f64 / (last - first)))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9 * (1.0 + a.abs().max(b.abs()))
    }

    #[test]
    fn constant_tempo() {
        let c = TempoClock::new(120.0);
        assert!(close(c.seconds_at(Time::int(4)), 2.0));
        assert!(close(c.beat_at(3.0), 6.0));
    }

    #[test]
    fn change_at_a_beat_is_continuous() {
        let mut c = TempoClock::new(120.0);
        c.set_tempo(60.0, Time::int(8));
        assert!(close(c.seconds_at(Time::int(8)), 4.0));
        assert!(close(c.seconds_at(Time::int(9)), 5.0));
        assert!(close(c.beat_at(4.5), 8.5));
        assert_eq!(c.bpm_at(Time::int(7)), 120.0);
        assert_eq!(c.bpm_at(Time::int(8)), 60.0);
    }

    #[test]
    fn ramp_integrates_the_tempo() {
        let mut c = TempoClock::new(60.0);
        c.ramp_tempo(120.0, Time::int(4), Time::int(4));
        // Exact integral: 60/k·ln(1 + k·4/60) with k = 15 bpm per beat.
        let expect = 4.0 + 60.0 / 15.0 * (1.0f64 + 15.0 * 4.0 / 60.0).ln();
        assert!(close(c.seconds_at(Time::int(8)), expect));
        assert!(close(c.bpm_at(Time::int(6)), 90.0));
        assert_eq!(c.bpm_at(Time::int(20)), 120.0);
        assert!(close(c.seconds_at(Time::int(10)), expect + 1.0));
        // Numerical check of the integral with small steps.
        let mut t = 4.0;
        let n = 100_000;
        for i in 0..n {
            let b = 4.0 + 4.0 * (i as f64 + 0.5) / n as f64;
            t += 4.0 / n as f64 * 60.0 / (60.0 + 15.0 * (b - 4.0));
        }
        assert!((t - expect).abs() < 1e-6);
    }

    #[test]
    fn cutting_a_ramp_short_keeps_the_past() {
        let mut c = TempoClock::new(100.0);
        c.ramp_tempo(200.0, Time::int(8), Time::ZERO);
        let at4 = c.seconds_at(Time::int(4));
        c.set_tempo(90.0, Time::int(4));
        assert!(close(c.seconds_at(Time::int(4)), at4));
        assert!(close(c.seconds_at(Time::int(5)), at4 + 60.0 / 90.0));
    }

    #[test]
    fn rebase_keeps_tempo_and_moves_the_origin() {
        let mut c = TempoClock::new(120.0);
        c.rebase(Time::int(16), 100.0);
        assert!(close(c.seconds_at(Time::int(18)), 101.0));
        assert!(close(c.beat_at(102.0), 20.0));
    }

    #[test]
    fn tap_tempo_averages_intervals() {
        let mut t = TapTempo::default();
        assert_eq!(t.tap(0.0), None);
        assert!(close(t.tap(0.5).unwrap(), 120.0));
        assert!(close(t.tap(1.0).unwrap(), 120.0));
        // A long pause starts a new count.
        assert_eq!(t.tap(10.0), None);
        assert!(close(t.tap(10.6).unwrap(), 100.0));
    }

    #[test]
    fn no_drift_over_hours() {
        let c = TempoClock::new(137.0);
        let beats = Time::int(137 * 60 * 10); // ten hours
        assert!(close(c.seconds_at(beats), 36_000.0));
        assert!((c.beat_at(36_000.0) - beats.to_f64()).abs() < 1e-6);
    }
}
