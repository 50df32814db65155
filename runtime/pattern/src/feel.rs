//! Groove templates and humanize: how a player's events are moved off the grid.
//!
//! A [`Groove`] divides each cycle into `grid` steps and gives every step a timing offset
//! (a fraction of a step, exact) and an amp factor; both lists repeat. Between grid points
//! time is warped linearly, so the warp is a strictly increasing map: events on the grid
//! land exactly on the template's positions, events between grid lines move in
//! proportion, and no two events of a player swap places. Offsets lie in (−½, ½], which is
//! what keeps the warp increasing and lets [`Groove::unwarp`] invert it exactly.
//!
//! [`Humanize`] adds a jitter to each onset (at most `time` beats either way, in steps of
//! 1/1024 of it) and to each level (at most `amp` as a factor either way), drawn from a
//! hash of the player's seed, the humanize seed and the event's onset: the same program
//! sounds the same live, recorded and rendered.
//!
//! Only the onset moves: `sustain` (the sounding length) is kept, so a note-off always
//! follows its note-on; `dur` is kept too. Applied after pattern evaluation, before sinks.

use std::sync::Arc;

use crate::program::Event;
use crate::stream_eval::mix;
use crate::time::Time;
use crate::value::Value;

/// Steps of a humanize time jitter: offsets are multiples of `time / JITTER_STEPS`.
const JITTER_STEPS: i64 = 1024;

/// A groove template: per-step timing offsets and amp factors over a grid.
#[derive(Clone, Debug, PartialEq)]
pub struct Groove {
    /// Steps per cycle (16: sixteenth notes in a cycle of four beats).
    pub grid: u32,
    /// Offset of each step as a fraction of a step, each in (−½, ½]; repeats. Never
    /// empty (straight is `[0]`).
    pub timing: Vec<Time>,
    /// Amp factor of each step (≥ 0); repeats. Never empty.
    pub amp: Vec<f64>,
}

impl Groove {
    /// A checked template: `None` when the grid is 0, a list is empty, an offset lies
    /// outside (−½, ½] or a factor is negative or not finite.
    pub fn new(grid: u32, timing: Vec<Time>, amp: Vec<f64>) -> Option<Groove> {
        let half = Time::new(1, 2);
        let ok = grid > 0
            && !timing.is_empty()
            && !amp.is_empty()
            && timing.iter().all(|t| *t > -half && *t <= half)
            && amp.iter().all(|a| a.is_finite() && *a >= 0.0);
        ok.then_some(Groove { grid, timing, amp })
    }

    fn step(&self, cycle_beats: Time) -> Time {
        cycle_beats / Time::int(i64::from(self.grid.max(1)))
    }

    fn offset(&self, k: i64) -> Time {
        let n = self.timing.len().max(1) as i64;
        self.timing
            .get(k.rem_euclid(n) as usize)
            .copied()
            .unwrap_or(Time::ZERO)
    }

    /// Amp factor of the step an onset (in beats) falls in.
    pub fn amp_at(&self, beat: Time, cycle_beats: Time) -> f64 {
        let s = self.step(cycle_beats);
        let k = beat.checked_div(s).map(Time::floor_int).unwrap_or(0);
        let n = self.amp.len().max(1) as i64;
        self.amp
            .get(k.rem_euclid(n) as usize)
            .copied()
            .unwrap_or(1.0)
    }

    /// Where grid point `k` moves to, in beats.
    fn grid_point(&self, k: i64, s: Time) -> Time {
        (Time::int(k) + self.offset(k)) * s
    }

    /// The grooved position of a beat.
    pub fn warp(&self, beat: Time, cycle_beats: Time) -> Time {
        let s = self.step(cycle_beats);
        let Some(q) = beat.checked_div(s) else {
            return beat;
        };
        let k = q.floor_int();
        let (oi, oj) = (self.offset(k), self.offset(k.saturating_add(1)));
        let within = beat - Time::int(k) * s;
        self.grid_point(k, s) + within * (Time::ONE + oj - oi)
    }

    /// The beat that [`Groove::warp`] moves to `beat`: the exact inverse.
    pub fn unwarp(&self, beat: Time, cycle_beats: Time) -> Time {
        let s = self.step(cycle_beats);
        let Some(q) = beat.checked_div(s) else {
            return beat;
        };
        let k0 = q.floor_int();
        // Grid point k moves by at most half a step, so the point at or before `beat` is
        // one of k0 − 1, k0, k0 + 1.
        let mut k = k0.saturating_sub(1);
        for c in [k0, k0.saturating_add(1)] {
            if self.grid_point(c, s) <= beat {
                k = c;
            }
        }
        let (oi, oj) = (self.offset(k), self.offset(k.saturating_add(1)));
        let slope = Time::ONE + oj - oi;
        let from = self.grid_point(k, s);
        let within = (beat - from).checked_div(slope).unwrap_or(Time::ZERO);
        Time::int(k) * s + within
    }
}

/// Timing and level jitter, deterministic.
#[derive(Clone, Debug, PartialEq)]
pub struct Humanize {
    /// Largest onset jitter either way, in beats (≥ 0).
    pub time: Time,
    /// Largest level change either way, as a fraction of the level (0..=1).
    pub amp: f64,
    /// Mixed with the player's seed.
    pub seed: u64,
}

/// What moves a player's events: a groove template, humanize, or both.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Feel {
    /// The template (`None`: straight).
    pub groove: Option<Arc<Groove>>,
    /// The jitter (`None`: none).
    pub humanize: Option<Humanize>,
}

fn unit_signed(h: u64) -> f64 {
    (h >> 11) as f64 * (2.0 / (1u64 << 53) as f64) - 1.0
}

fn time_hash(t: Time) -> u64 {
    mix(t.num() as u64, t.den() as u64)
}

impl Feel {
    /// Largest distance an onset can move by humanize, in beats.
    pub fn jitter_bound(&self) -> Time {
        self.humanize.as_ref().map_or(Time::ZERO, |h| h.time.abs())
    }

    /// The grooved onset of a local beat (before jitter).
    pub fn warp(&self, beat: Time, cycle_beats: Time) -> Time {
        match &self.groove {
            Some(g) => g.warp(beat, cycle_beats),
            None => beat,
        }
    }

    /// The local beat whose grooved onset is `beat`.
    pub fn unwarp(&self, beat: Time, cycle_beats: Time) -> Time {
        match &self.groove {
            Some(g) => g.unwarp(beat, cycle_beats),
            None => beat,
        }
    }

    /// The jitter of an event whose raw onset (in beats, on the program's timeline) is
    /// `at`, and its level factor.
    pub fn jitter(&self, player_seed: u64, at: Time) -> (Time, f64) {
        let Some(h) = &self.humanize else {
            return (Time::ZERO, 1.0);
        };
        let base = mix(mix(player_seed, h.seed), time_hash(at));
        let dt = if h.time.is_zero() {
            Time::ZERO
        } else {
            let r = unit_signed(mix(base, 1));
            let steps = (r * JITTER_STEPS as f64).round() as i64;
            h.time * Time::new(steps.clamp(-JITTER_STEPS, JITTER_STEPS), JITTER_STEPS)
        };
        let da = 1.0 + h.amp * unit_signed(mix(base, 2));
        (dt, da.max(0.0))
    }
}

/// Multiply an event's `amp` and `velocity` by `f` (velocity stays a MIDI velocity,
/// 1..=127, as the pitch model derives it).
pub(crate) fn scale_level(e: &mut Event, f: f64) {
    if f == 1.0 {
        return;
    }
    for (k, v) in e.params.iter_mut() {
        match (&**k, &*v) {
            ("amp", Value::Num(x)) => *v = Value::Num(x * f),
            ("velocity", Value::Num(x)) => *v = Value::Num((x * f).round().clamp(1.0, 127.0)),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn swing() -> Groove {
        Groove::new(16, vec![Time::ZERO, Time::new(1, 3)], vec![1.0, 0.5]).unwrap()
    }

    #[test]
    fn warp_moves_grid_points_and_inverts() {
        let g = swing();
        let c = Time::int(4);
        assert_eq!(g.warp(Time::ZERO, c), Time::ZERO);
        assert_eq!(g.warp(Time::new(1, 4), c), Time::new(1, 3));
        assert_eq!(g.warp(Time::new(1, 2), c), Time::new(1, 2));
        for n in -40..40 {
            let t = Time::new(n, 7);
            assert_eq!(g.unwarp(g.warp(t, c), c), t);
            assert!(g.warp(t, c) < g.warp(t + Time::new(1, 97), c));
        }
    }

    #[test]
    fn offsets_out_of_range_are_refused() {
        assert!(Groove::new(8, vec![Time::new(-1, 2)], vec![1.0]).is_none());
        assert!(Groove::new(8, vec![Time::new(1, 2)], vec![1.0]).is_some());
        assert!(Groove::new(0, vec![Time::ZERO], vec![1.0]).is_none());
        assert!(Groove::new(8, vec![], vec![1.0]).is_none());
    }

    #[test]
    fn jitter_is_bounded_and_repeatable() {
        let f = Feel {
            groove: None,
            humanize: Some(Humanize {
                time: Time::new(1, 10),
                amp: 0.2,
                seed: 3,
            }),
        };
        for n in 0..200 {
            let (dt, da) = f.jitter(9, Time::new(n, 4));
            assert!(dt.abs() <= Time::new(1, 10));
            assert!((0.8..=1.2).contains(&da));
            assert_eq!(f.jitter(9, Time::new(n, 4)), (dt, da));
        }
        assert_ne!(f.jitter(9, Time::ONE), f.jitter(10, Time::ONE));
    }
}
