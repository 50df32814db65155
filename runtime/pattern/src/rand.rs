//! Tidal's deterministic randomness: a pure function of time.
//!
//! Tidal stretches 300 cycles over 2^29 integer seeds and scrambles each seed with a 64-bit
//! xorshift (`xorwise`). Matching it bit for bit is what makes `a?` and `[a|b|c]` drop and
//! choose the same events as Tidal does (values tabled in
//! `shared/reference/mini-notation.md` §5). Per the reference, time 0 gives 0.5 rather than
//! the raw formula's 0 (Tidal's special case), so the first cycle of `a?` plays.

use crate::time::Time;

const SEED_RANGE: i64 = 1 << 29;

/// Marsaglia's xorshift with Tidal's shifts (13, 17, 5) on a wrapping 64-bit integer
/// (Haskell `Int`): left shifts drop bits, the right shift is arithmetic.
pub fn xorwise(x: i64) -> i64 {
    let a = x.wrapping_shl(13) ^ x;
    let b = (a >> 17) ^ a;
    b.wrapping_shl(5) ^ b
}

/// Tidal's `timeToIntSeed` on exact time: `xorwise (truncate (frac (t / 300) · 2^29))`,
/// where `frac` keeps the sign (Haskell `properFraction`) and truncation is toward zero.
pub fn time_to_int_seed(t: Time) -> i64 {
    let num = t.num() as i128;
    let den = t.den() as i128 * 300;
    let frac_num = num % den;
    let seed = frac_num * SEED_RANGE as i128 / den;
    xorwise(seed as i64)
}

/// [`time_to_int_seed`] on a float time (Tidal applies `timeToRand` to `Double`s inside
/// `perlin`); the same steps in `f64`.
pub fn time_to_int_seed_f64(t: f64) -> i64 {
    if !t.is_finite() {
        return 0;
    }
    let x = t / 300.0;
    let frac = x - x.trunc();
    xorwise((frac * SEED_RANGE as f64).trunc() as i64)
}

/// Tidal's `intSeedToRand`: the seed modulo 2^29 (floored, so never negative) over 2^29.
pub fn int_seed_to_rand(seed: i64) -> f64 {
    seed.rem_euclid(SEED_RANGE) as f64 / SEED_RANGE as f64
}

/// Tidal's `timeToRand`: a value in [0, 1) for each time; 0.5 at time 0.
pub fn time_to_rand(t: Time) -> f64 {
    if t.is_zero() {
        return 0.5;
    }
    int_seed_to_rand(time_to_int_seed(t))
}

/// [`time_to_rand`] on a float time.
pub fn time_to_rand_f64(t: f64) -> f64 {
    if t == 0.0 {
        return 0.5;
    }
    int_seed_to_rand(time_to_int_seed_f64(t))
}

/// Tidal's `timeToRands t n`: `n` values from one time, each the xorshift of the previous
/// seed. Used where one event needs several independent random numbers (random arpeggio
/// order). The time-0 special case of [`time_to_rand`] does not apply here (Tidal's
/// `timeToRands` has none).
pub fn time_to_rands(t: Time, n: usize) -> Vec<f64> {
    let mut seed = time_to_int_seed(t);
    let mut out = Vec::with_capacity(n.min(1 << 16));
    for _ in 0..n {
        out.push(int_seed_to_rand(seed));
        seed = xorwise(seed);
    }
    out
}

/// The seed offset of the `seed`-th random operator: Tidal's `rotL (0.0001 · seed) rand`.
pub fn seed_offset(seed: u32) -> Time {
    Time::new(seed as i64, 10_000)
}

/// Tidal's `rand` sampled at `t` for random operator number `seed`:
/// `timeToRand (t + 0.0001 · seed)`.
pub fn rand(t: Time, seed: u32) -> f64 {
    time_to_rand(t + seed_offset(seed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xorwise_wraps_like_haskell_int() {
        assert_eq!(xorwise(0), 0);
        assert_eq!(xorwise(1), 1 ^ (1 << 13) ^ ((1 ^ (1 << 13)) << 5));
        let _ = xorwise(i64::MIN);
        let _ = xorwise(-1);
    }

    #[test]
    fn negative_times_stay_in_range() {
        for n in -50..0 {
            let r = time_to_rand(Time::new(n, 7));
            assert!((0.0..1.0).contains(&r));
        }
    }
}
