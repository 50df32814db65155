//! Where engine time falls in a stream of frames: the clock shared by the sinks whose
//! device consumes frames at a steady rate (the built-in synth's audio stream, the JACK
//! MIDI port).
//!
//! Engine seconds map to stream frames through an anchor taken at the first callback
//! (frame 0 is heard at engine time `anchor`), then frames are counted, so two notes one
//! beat apart are exactly one beat of frames apart. The stream's own timestamps (JACK's
//! cycle times on the JACK host) measure the drift between the stream's clock and the
//! engine's monotonic clock; past [`DRIFT_LIMIT_NS`] the mapping follows it, but slowly
//! ([`SLEW`]), so notes one beat apart stay a beat apart to within a fraction of a
//! millisecond; the measurement itself is low-passed ([`DRIFT_TAU_S`]) and starts after the
//! stream has settled ([`WARMUP_S`]). Stream timestamps jump and settle after an xrun (JACK
//! smooths its cycle times), and a mapping that jumped with them would put a hiccup into
//! the rhythm at every xrun. Only an offset past [`STEP_NS`] (a stream that stalled for long
//! or came back) is corrected in one step.
//!
//! Real-time contract: [`FrameClock::update`] does arithmetic and one relaxed atomic add.

use std::sync::atomic::{AtomicU64, Ordering};

/// Drift between the audio clock and the engine clock tolerated before the mapping moves.
pub const DRIFT_LIMIT_NS: i64 = 1_000_000;
/// How fast the mapping follows drift, as a fraction of the time played: 0.25%, so two
/// notes a second apart move at most 2.5 ms (120 frames at 48 kHz) relative to each other
/// while it catches up, and a 1 ms drift is taken up in 0.4 s.
pub const SLEW: f64 = 0.0025;
/// Drift left when a slew stops (then frames are the clock again until the next limit).
pub const SETTLED_NS: i64 = 10_000;
/// An offset this large is corrected at once: slewing it would take minutes.
pub const STEP_NS: i64 = 250_000_000;
/// Time constant (seconds) of the low-pass on measured drift: JACK's cycle times wobble by
/// a millisecond or more for a moment when a cycle starts late, without any real drift;
/// the mapping follows only drift that lasts.
pub const DRIFT_TAU_S: f64 = 1.0;
/// Seconds after a stream starts during which its clock is not trusted for drift: JACK's
/// cycle times settle for a moment after a client starts, and an origin taken then reads as
/// a constant offset of a millisecond or two, which is not drift at all.
pub const WARMUP_S: f64 = 1.0;
/// A stream whose frames run ahead of its clock by more than this fraction (measured after
/// 100 ms) is not drifting: it does not run at its rate (ALSA's `null` device takes buffers as fast as
/// they come). The mapping then follows its clock at every callback, so notes still play
/// when they are due.
pub const UNPACED: f64 = 0.05;
/// When a callback runs, on the engine's timeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallbackTiming {
    /// Engine nanoseconds when the callback started (read from the engine's clock).
    pub engine_now_ns: i64,
    /// Nanoseconds from the callback to when its first frame is heard.
    pub latency_ns: i64,
    /// The stream's own timestamp of this callback in nanoseconds (any epoch), for drift.
    pub stream_ns: Option<i64>,
}

/// The mapping from engine time to stream frames. See the module documentation.
#[derive(Clone, Debug)]
pub struct FrameClock {
    rate: f64,
    /// Engine ns at which stream frame 0 is heard, as measured at the first callback (the
    /// drift correction in force is added by `anchor_ns()`).
    first_anchor_ns: Option<i64>,
    /// The drift correction in force.
    correction_ns: i64,
    /// True while the correction is catching up with the measured drift.
    slewing: bool,
    /// Measured drift, low-passed ([`DRIFT_TAU_S`]).
    drift_ns: f64,
    /// First callback's stream timestamp and frame, for drift.
    stream_origin: Option<(i64, u64)>,
    /// Until this stream frame, the stream origin is re-taken at every callback.
    warm_until: u64,
    /// The first callback's stream timestamp and frame (never re-taken).
    first_stream: Option<(i64, u64)>,
    /// The stream does not run at its rate (see [`UNPACED`]).
    unpaced: bool,
}

impl FrameClock {
    /// A clock for a stream at `rate` frames per second, before its first callback.
    pub fn new(rate: u32) -> FrameClock {
        FrameClock {
            rate: f64::from(rate.max(1)),
            first_anchor_ns: None,
            correction_ns: 0,
            slewing: false,
            drift_ns: 0.0,
            stream_origin: None,
            warm_until: 0,
            first_stream: None,
            unpaced: false,
        }
    }

    /// Engine ns at which stream frame 0 is heard, the drift correction included (None
    /// before the first callback).
    pub fn anchor_ns(&self) -> Option<i64> {
        self.first_anchor_ns.map(|a| a + self.correction_ns)
    }

    /// The stream frame (fractional) heard at engine time `at_ns` (None before the first
    /// callback).
    pub fn frames_at(&self, at_ns: i64) -> Option<f64> {
        let anchor = self.anchor_ns()?;
        Some(at_ns.saturating_sub(anchor) as f64 * self.rate / 1e9)
    }

    /// Engine ns at which stream frame `frame` is heard (None before the first callback).
    pub fn engine_ns(&self, frame: u64) -> Option<i64> {
        let anchor = self.anchor_ns()?;
        Some(anchor + (frame as f64 * 1e9 / self.rate) as i64)
    }

    /// Take a callback about to play `frames` frames from stream frame `frame` into
    /// account, adding a correction it starts (a slew, a step, unpaced) to `corrections`.
    pub fn update(&mut self, t: CallbackTiming, frame: u64, frames: u64, corrections: &AtomicU64) {
        if self.follow(t, frame, frames) {
            corrections.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// [`FrameClock::update`]'s work; true when it started a correction.
    fn follow(&mut self, t: CallbackTiming, frame: u64, frames: u64) -> bool {
        if self.first_anchor_ns.is_none() {
            // Frame `frame` (0 for a new stream) is heard `latency` after now.
            let heard = t.engine_now_ns.saturating_add(t.latency_ns.max(0));
            let anchor = heard - (frame as f64 * 1e9 / self.rate) as i64;
            self.first_anchor_ns = Some(anchor);
            self.stream_origin = t.stream_ns.map(|ns| (ns, frame));
            self.first_stream = self.stream_origin;
            self.warm_until = frame + (WARMUP_S * self.rate) as u64;
            return false;
        }
        if let (Some((ns0, f0)), Some(now)) = (self.first_stream, t.stream_ns) {
            let elapsed = (now - ns0) as f64;
            let played = frame.saturating_sub(f0) as f64 * 1e9 / self.rate;
            // Only frames running ahead of the clock: frames fall behind it at a stall (an
            // xrun, a frozen server), which the slew below takes up without a jump.
            if self.unpaced || (elapsed > 1e8 && played - elapsed > UNPACED * elapsed) {
                let started = !self.unpaced;
                self.unpaced = true;
                self.correction_ns = (elapsed - played) as i64;
                return started;
            }
        }
        if frame < self.warm_until {
            self.stream_origin = t.stream_ns.map(|ns| (ns, frame));
            return false;
        }
        // Without stream timestamps, the frame count is the clock.
        let (Some((origin_ns, origin_frame)), Some(stream_ns)) = (self.stream_origin, t.stream_ns)
        else {
            return false;
        };
        // Frame F is heard at anchor0 + F/rate + drift, where drift is how far the stream's
        // clock ran beyond the frames counted since the first callback.
        let counted = (frame.saturating_sub(origin_frame) as f64 * 1e9 / self.rate) as i64;
        let raw = (stream_ns - origin_ns) - counted;
        if (raw - self.correction_ns).abs() > STEP_NS {
            self.correction_ns = raw;
            self.drift_ns = raw as f64;
            self.slewing = false;
            return true;
        }
        let alpha = (frames as f64 / self.rate / DRIFT_TAU_S).min(1.0);
        self.drift_ns += alpha * (raw as f64 - self.drift_ns);
        let drift = self.drift_ns as i64;
        let error = drift - self.correction_ns;
        let mut started = false;
        if self.slewing || error.abs() > DRIFT_LIMIT_NS {
            if !self.slewing {
                self.slewing = true;
                started = true;
            }
            let most = ((frames as f64 * 1e9 / self.rate * SLEW) as i64).max(1);
            self.correction_ns += error.clamp(-most, most);
            if (drift - self.correction_ns).abs() <= SETTLED_NS {
                self.slewing = false;
            }
        }
        started
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: u32 = 48_000;
    const BUF: u64 = 256;

    fn timing(stream_ns: i64) -> CallbackTiming {
        CallbackTiming {
            engine_now_ns: stream_ns,
            latency_ns: 0,
            stream_ns: Some(stream_ns),
        }
    }

    /// Play `callbacks` buffers from `frame`, the stream's clock at `ns` and advancing by
    /// `ns_per_buffer`; returns the corrections started and the anchors seen.
    fn play(
        clock: &mut FrameClock,
        frame: &mut u64,
        ns: &mut i64,
        ns_per_buffer: i64,
        callbacks: u32,
    ) -> (u64, Vec<i64>) {
        let started = AtomicU64::new(0);
        let mut anchors = Vec::new();
        for _ in 0..callbacks {
            clock.update(timing(*ns), *frame, BUF, &started);
            anchors.extend(clock.anchor_ns());
            *frame += BUF;
            *ns += ns_per_buffer;
        }
        (started.into_inner(), anchors)
    }

    const PERIOD_NS: i64 = 5_333_333;

    #[test]
    fn a_stall_early_on_is_slewed_not_followed_at_every_callback() {
        let mut clock = FrameClock::new(RATE);
        let (mut frame, mut ns) = (0, 0);
        play(&mut clock, &mut frame, &mut ns, PERIOD_NS, 100);
        // 0.53 s in, the stream stops for 40 ms (6% of the time played so far): inside the
        // warm-up, so taken as where the stream's clock starts.
        ns += 40_000_000;
        let (started, mut anchors) = play(&mut clock, &mut frame, &mut ns, PERIOD_NS, 200);
        assert!(
            !clock.unpaced,
            "frames behind the clock are a stall, not a fast device"
        );
        assert_eq!(started, 0);
        // 1.6 s in, another: measured as drift, and slewed.
        ns += 40_000_000;
        let (started, more) = play(&mut clock, &mut frame, &mut ns, PERIOD_NS, 400);
        anchors.extend(more);
        assert!(!clock.unpaced);
        assert_eq!(started, 1, "one slew");
        let most = (BUF as f64 * 1e9 / f64::from(RATE) * SLEW) as i64 + 1;
        assert!(
            anchors.windows(2).all(|w| (w[1] - w[0]).abs() <= most),
            "the mapping moves at most SLEW of the time played per callback"
        );
        let moved = anchors.last().copied().unwrap_or(0) - anchors.first().copied().unwrap_or(0);
        assert!(moved > 1_000_000, "and follows the stall: {moved} ns");
    }

    #[test]
    fn frames_running_ahead_of_the_clock_are_followed_at_every_callback() {
        // ALSA's null device: buffers taken ten times as fast as they play.
        let mut clock = FrameClock::new(RATE);
        let (mut frame, mut ns) = (0, 0);
        let (started, _) = play(&mut clock, &mut frame, &mut ns, PERIOD_NS / 10, 400);
        assert!(clock.unpaced);
        assert_eq!(started, 1);
        // The mapping is the stream's clock: frame `frame` is heard at its clock's time.
        let at = clock.engine_ns(frame).unwrap_or(0);
        assert!((at - ns).abs() < PERIOD_NS, "{at} vs {ns}");
    }
}
