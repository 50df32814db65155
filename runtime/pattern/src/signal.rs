//! Continuous signals (Tidal's `sine`, `cosine`, `tri`, `saw`, `isaw`, `square`, `rand`,
//! `perlin`).
//!
//! Like Tidal's `sig`, a signal answers a query with one hap without `whole`, whose part is
//! the query span and whose value is the signal at the span's midpoint. `tri` is Tidal's
//! `fastcat [saw, isaw]`, so, as in Tidal, a query is split at half cycles and each half
//! sampled at its own midpoint. Values lie in 0..1.

use crate::pat::{Hap, SignalKind};
use crate::query::{Budget, Overrun};
use crate::rand::{seed_offset, time_to_rand, time_to_rand_f64};
use crate::time::{Time, TimeSpan};
use crate::value::Value;

/// The value of a signal at time `t` (cycles), for random operator number `seed`.
pub fn signal_value(kind: SignalKind, seed: u32, t: Time) -> f64 {
    use std::f64::consts::PI;
    match kind {
        SignalKind::Sine => ((2.0 * PI * t.to_f64()).sin() + 1.0) / 2.0,
        // Tidal: `0.25 ~> sine`.
        SignalKind::Cosine => ((2.0 * PI * (t - Time::new(1, 4)).to_f64()).sin() + 1.0) / 2.0,
        SignalKind::Saw => t.cycle_pos().to_f64(),
        SignalKind::ISaw => 1.0 - t.cycle_pos().to_f64(),
        SignalKind::Square => (t.cycle_pos().to_f64() * 2.0).floor(),
        SignalKind::Tri => {
            let u = t + t;
            let f = u.cycle_pos().to_f64();
            if u.floor_int().rem_euclid(2) == 0 {
                f
            } else {
                1.0 - f
            }
        }
        SignalKind::Rand => time_to_rand(t + seed_offset(seed)),
        SignalKind::Perlin => {
            // Tidal's `perlinWith (sig fromRational)`: smootherstep between the random
            // values of the surrounding integers, computed in doubles as Tidal does.
            let x = (t + seed_offset(seed)).to_f64();
            let a = x.floor();
            let f = x - a;
            let ra = time_to_rand_f64(a);
            let rb = time_to_rand_f64(a + 1.0);
            let s = 6.0 * f.powi(5) - 15.0 * f.powi(4) + 10.0 * f.powi(3);
            ra + s * (rb - ra)
        }
    }
}

fn push_sample(kind: SignalKind, seed: u32, span: TimeSpan, out: &mut Vec<Hap>) {
    let mid = span.begin + (span.end - span.begin) / Time::int(2);
    out.push(Hap {
        whole: None,
        part: span,
        value: Value::Num(signal_value(kind, seed, mid)),
        gain: 1.0,
    });
}

/// Query a signal over `span` (see the module docs).
pub(crate) fn query_signal(
    kind: SignalKind,
    seed: u32,
    span: TimeSpan,
    budget: &mut Budget,
    out: &mut Vec<Hap>,
) -> Result<(), Overrun> {
    if span.begin > span.end {
        return Ok(());
    }
    if kind != SignalKind::Tri || span.begin == span.end {
        budget.spend(1)?;
        push_sample(kind, seed, span, out);
        return Ok(());
    }
    // Split at half cycles, as Tidal's `fastcat [saw, isaw]` does.
    let two = Time::int(2);
    let doubled = TimeSpan::new(span.begin * two, span.end * two);
    for piece in doubled.cycles() {
        budget.spend(1)?;
        push_sample(
            kind,
            seed,
            TimeSpan::new(piece.begin / two, piece.end / two),
            out,
        );
    }
    Ok(())
}
