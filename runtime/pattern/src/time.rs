//! Exact rational time.
//!
//! Onsets and durations are never floating point: a `Time` is a reduced fraction of two
//! `i64`s. Arithmetic is done in `i128` and reduced; a result that does not fit is replaced
//! by the closest fraction whose terms fit (continued fractions), so no operation panics on
//! any input. Such approximation only happens for absurd values (denominators beyond 2^62),
//! which no musical pattern reaches; the budget in `query` stops runaway programs long before.

use std::cmp::Ordering;
use std::fmt;
use std::ops::{Add, AddAssign, Div, Mul, Neg, Sub, SubAssign};

/// An exact rational number of cycles or beats. Always reduced, denominator > 0.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Time {
    num: i64,
    den: i64,
}

/// Largest magnitude kept for either term; leaves headroom so that sums of two reduced
/// values never overflow `i128` intermediate products.
const LIMIT: i128 = i64::MAX as i128;

fn gcd_u128(mut a: u128, mut b: u128) -> u128 {
    // Binary GCD: no division, fast for the small terms that dominate.
    if a == 0 {
        return b;
    }
    if b == 0 {
        return a;
    }
    let shift = (a | b).trailing_zeros();
    a >>= a.trailing_zeros();
    loop {
        b >>= b.trailing_zeros();
        if a > b {
            std::mem::swap(&mut a, &mut b);
        }
        b -= a;
        if b == 0 {
            return a << shift;
        }
    }
}

fn gcd_u64(mut a: u64, mut b: u64) -> u64 {
    // Reduced musical fractions mostly meet 1 and small powers of two: answer those at once.
    if a == 1 || b == 1 {
        return 1;
    }
    if a == b {
        return a;
    }
    if a == 0 {
        return b;
    }
    if b == 0 {
        return a;
    }
    let shift = (a | b).trailing_zeros();
    // A power of two (the usual denominator) shares only its factors of two: no loop,
    // which would otherwise take a step per bit of a large cycle number.
    if a.is_power_of_two() || b.is_power_of_two() {
        return 1 << shift;
    }
    a >>= a.trailing_zeros();
    loop {
        b >>= b.trailing_zeros();
        if a > b {
            std::mem::swap(&mut a, &mut b);
        }
        b -= a;
        if b == 0 {
            return a << shift;
        }
    }
}

/// `x / g` for a `g > 0` that divides `x`: a shift when `g` is a power of two (the usual
/// case: musical denominators), since an exact division needs no rounding.
#[inline]
fn exact_div(x: i64, g: i64) -> i64 {
    if g & (g - 1) == 0 {
        x >> g.trailing_zeros()
    } else {
        x / g
    }
}

impl Time {
    /// Zero.
    pub const ZERO: Time = Time { num: 0, den: 1 };
    /// One.
    pub const ONE: Time = Time { num: 1, den: 1 };

    /// `num / den`, reduced. A zero denominator gives zero (callers guard divisions by zero
    /// as silence; this keeps the type total).
    pub fn new(num: i64, den: i64) -> Time {
        if den > 0 && num != i64::MIN {
            if den == 1 {
                return Time { num, den: 1 };
            }
            if let Some(t) = Time::reduce64(num, den) {
                return t;
            }
        }
        Time::from_i128(num as i128, den as i128)
    }

    /// An integer.
    pub const fn int(n: i64) -> Time {
        Time { num: n, den: 1 }
    }

    /// `self + k` for an integer `k`: the fraction stays reduced (`gcd(n + k·d, d) =
    /// gcd(n, d)`), so no gcd is needed unless a term overflows.
    #[inline]
    pub(crate) fn add_int(self, k: i64) -> Time {
        match k
            .checked_mul(self.den)
            .and_then(|x| x.checked_add(self.num))
        {
            Some(n) if n != i64::MIN => Time {
                num: n,
                den: self.den,
            },
            _ => self + Time::int(k),
        }
    }

    /// Numerator (sign carrier).
    pub const fn num(self) -> i64 {
        self.num
    }

    /// Denominator (always > 0).
    pub const fn den(self) -> i64 {
        self.den
    }

    fn from_i128(num: i128, den: i128) -> Time {
        if den == 0 {
            return Time::ZERO;
        }
        let (mut num, mut den) = if den < 0 { (-num, -den) } else { (num, den) };
        if num == 0 {
            return Time::ZERO;
        }
        // Fast path: terms that fit i64 reduce with a 64-bit gcd.
        if num.abs() <= LIMIT && den <= LIMIT {
            if let Some(t) = Time::reduce64(num as i64, den as i64) {
                return t;
            }
        }
        let g = gcd_u128(num.unsigned_abs(), den as u128) as i128;
        if g > 1 {
            num /= g;
            den /= g;
        }
        if num.abs() <= LIMIT && den <= LIMIT {
            return Time {
                num: num as i64,
                den: den as i64,
            };
        }
        Time::approximate(num, den)
    }

    /// `num / den` reduced, for `den > 0`; `None` when the result's numerator would be
    /// `i64::MIN` (outside the symmetric range every `Time` keeps).
    #[inline]
    fn reduce64(num: i64, den: i64) -> Option<Time> {
        if num == 0 {
            return Some(Time::ZERO);
        }
        let g = gcd_u64(num.unsigned_abs(), den as u64);
        if g == 1 {
            return (num != i64::MIN).then_some(Time { num, den });
        }
        let g = g as i64;
        Some(Time {
            num: exact_div(num, g),
            den: exact_div(den, g),
        })
    }

    /// Product by cross-cancelling first (both inputs are reduced, so the result is too),
    /// in 64-bit arithmetic; `None` if a term overflows.
    #[inline]
    fn mul64(a: Time, b: Time) -> Option<Time> {
        if a.num == 0 || b.num == 0 {
            return Some(Time::ZERO);
        }
        let g1 = gcd_u64(a.num.unsigned_abs(), b.den as u64) as i64;
        let g2 = gcd_u64(b.num.unsigned_abs(), a.den as u64) as i64;
        // Coprime pairs (most of them) need no division.
        let (an, bd) = if g1 == 1 {
            (a.num, b.den)
        } else {
            (exact_div(a.num, g1), exact_div(b.den, g1))
        };
        let (bn, ad) = if g2 == 1 {
            (b.num, a.den)
        } else {
            (exact_div(b.num, g2), exact_div(a.den, g2))
        };
        let num = an.checked_mul(bn)?;
        let den = ad.checked_mul(bd)?;
        (num != i64::MIN).then_some(Time { num, den })
    }

    /// Closest fraction with terms inside `i64` (continued-fraction convergents).
    fn approximate(num: i128, den: i128) -> Time {
        let negative = num < 0;
        let (mut p, mut q) = (num.unsigned_abs(), den as u128);
        let (mut h0, mut h1, mut k0, mut k1): (u128, u128, u128, u128) = (0, 1, 1, 0);
        let limit = LIMIT as u128;
        while q != 0 {
            let a = p / q;
            let h2 = a.saturating_mul(h1).saturating_add(h0);
            let k2 = a.saturating_mul(k1).saturating_add(k0);
            if h2 > limit || k2 > limit {
                break;
            }
            (h0, h1, k0, k1) = (h1, h2, k1, k2);
            (p, q) = (q, p - a * q);
        }
        if k1 == 0 {
            // The value itself is beyond i64: saturate.
            let n = if negative { -LIMIT } else { LIMIT };
            return Time {
                num: n as i64,
                den: 1,
            };
        }
        let n = if negative { -(h1 as i128) } else { h1 as i128 };
        Time {
            num: n as i64,
            den: k1 as i64,
        }
    }

    /// The closest fraction to `x` whose denominator is at most `max_den`. Decimal literals
    /// such as 0.1 or 1/3 typed as 0.333333 come back as 1/10 and 1/3. NaN gives zero and
    /// infinities saturate.
    pub fn from_f64_bounded(x: f64, max_den: i64) -> Time {
        if !x.is_finite() {
            if x.is_nan() {
                return Time::ZERO;
            }
            return if x > 0.0 {
                Time::int(i64::MAX / 2)
            } else {
                Time::int(-(i64::MAX / 2))
            };
        }
        if x.abs() >= (i64::MAX / 4) as f64 {
            return Time::int(x as i64);
        }
        let negative = x < 0.0;
        let mut v = x.abs();
        let max_den = max_den.max(1) as i128;
        let (mut h0, mut h1, mut k0, mut k1): (i128, i128, i128, i128) = (0, 1, 1, 0);
        for _ in 0..64 {
            let a = v.floor();
            let ai = a as i128;
            let h2 = ai * h1 + h0;
            let k2 = ai * k1 + k0;
            if k2 > max_den {
                break;
            }
            (h0, h1, k0, k1) = (h1, h2, k1, k2);
            let frac = v - a;
            if frac < 1e-12 {
                break;
            }
            v = 1.0 / frac;
            if !v.is_finite() {
                break;
            }
        }
        if k1 == 0 {
            return Time::ZERO;
        }
        Time::from_i128(if negative { -h1 } else { h1 }, k1)
    }

    /// `from_f64_bounded` with the denominator bound used for user-typed numbers.
    pub fn from_f64(x: f64) -> Time {
        Time::from_f64_bounded(x, 1_000_000)
    }

    /// As a float, for output and for signals.
    pub fn to_f64(self) -> f64 {
        self.num as f64 / self.den as f64
    }

    /// Largest integer not greater than this.
    pub fn floor_int(self) -> i64 {
        self.num.div_euclid(self.den)
    }

    /// Smallest integer not less than this.
    pub fn ceil_int(self) -> i64 {
        let f = self.num.div_euclid(self.den);
        if self.num.rem_euclid(self.den) == 0 {
            f
        } else {
            f.saturating_add(1)
        }
    }

    /// Start of the cycle containing this time (Tidal `sam`).
    pub fn sam(self) -> Time {
        Time::int(self.floor_int())
    }

    /// Start of the next cycle (Tidal `nextSam`).
    pub fn next_sam(self) -> Time {
        Time::int(self.floor_int().saturating_add(1))
    }

    /// Position inside the cycle, in [0, 1).
    pub fn cycle_pos(self) -> Time {
        self - self.sam()
    }

    /// True for zero.
    pub const fn is_zero(self) -> bool {
        self.num == 0
    }

    /// True for values < 0.
    pub const fn is_negative(self) -> bool {
        self.num < 0
    }

    /// Absolute value.
    pub fn abs(self) -> Time {
        Time {
            num: self.num.saturating_abs(),
            den: self.den,
        }
    }

    /// `self / rhs`, or `None` when `rhs` is zero.
    pub fn checked_div(self, rhs: Time) -> Option<Time> {
        if rhs.num == 0 {
            None
        } else {
            Some(self / rhs)
        }
    }

    /// Smaller of two.
    pub fn min(self, other: Time) -> Time {
        if self <= other {
            self
        } else {
            other
        }
    }

    /// Larger of two.
    pub fn max(self, other: Time) -> Time {
        if self >= other {
            self
        } else {
            other
        }
    }

    /// The `n/d` text used in event output (`"3/4"`, `"2"` stays `"2/1"` for uniformity).
    pub fn ratio_string(self) -> String {
        format!("{}/{}", self.num, self.den)
    }
}

impl Default for Time {
    fn default() -> Self {
        Time::ZERO
    }
}

impl From<i64> for Time {
    fn from(n: i64) -> Self {
        Time::int(n)
    }
}

impl Ord for Time {
    fn cmp(&self, other: &Self) -> Ordering {
        if self.den == other.den {
            return self.num.cmp(&other.num);
        }
        // Cross products that fit 64 bits (all musical times) skip the 128-bit multiply.
        if let (Some(a), Some(b)) = (
            self.num.checked_mul(other.den),
            other.num.checked_mul(self.den),
        ) {
            return a.cmp(&b);
        }
        (self.num as i128 * other.den as i128).cmp(&(other.num as i128 * self.den as i128))
    }
}

impl PartialOrd for Time {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Add for Time {
    type Output = Time;
    fn add(self, rhs: Time) -> Time {
        if self.den == rhs.den {
            if let Some(n) = self.num.checked_add(rhs.num) {
                if self.den == 1 {
                    return Time { num: n, den: 1 };
                }
                let g = gcd_u64(n.unsigned_abs(), self.den as u64) as i64;
                if n == 0 {
                    return Time::ZERO;
                }
                return Time {
                    num: exact_div(n, g),
                    den: exact_div(self.den, g),
                };
            }
        }
        // Adding an integer keeps the fraction reduced: gcd(n + k·d, d) = gcd(n, d) = 1.
        if rhs.den == 1 {
            if let Some(n) = rhs
                .num
                .checked_mul(self.den)
                .and_then(|x| x.checked_add(self.num))
            {
                if n != i64::MIN {
                    return Time {
                        num: n,
                        den: self.den,
                    };
                }
            }
        } else if self.den == 1 {
            if let Some(n) = self
                .num
                .checked_mul(rhs.den)
                .and_then(|x| x.checked_add(rhs.num))
            {
                if n != i64::MIN {
                    return Time {
                        num: n,
                        den: rhs.den,
                    };
                }
            }
        }
        if let (Some(a), Some(b), Some(d)) = (
            self.num.checked_mul(rhs.den),
            rhs.num.checked_mul(self.den),
            self.den.checked_mul(rhs.den),
        ) {
            if let Some(t) = a.checked_add(b).and_then(|n| Time::reduce64(n, d)) {
                return t;
            }
        }
        Time::from_i128(
            self.num as i128 * rhs.den as i128 + rhs.num as i128 * self.den as i128,
            self.den as i128 * rhs.den as i128,
        )
    }
}

impl Sub for Time {
    type Output = Time;
    fn sub(self, rhs: Time) -> Time {
        self + (-rhs)
    }
}

impl Neg for Time {
    type Output = Time;
    fn neg(self) -> Time {
        Time {
            num: self.num.saturating_neg(),
            den: self.den,
        }
    }
}

impl Mul for Time {
    type Output = Time;
    fn mul(self, rhs: Time) -> Time {
        if self.den == 1 && rhs.den == 1 {
            if let Some(n) = self.num.checked_mul(rhs.num) {
                return Time { num: n, den: 1 };
            }
        }
        if let Some(t) = Time::mul64(self, rhs) {
            return t;
        }
        Time::from_i128(
            self.num as i128 * rhs.num as i128,
            self.den as i128 * rhs.den as i128,
        )
    }
}

impl Div for Time {
    type Output = Time;
    /// Division by zero gives zero; use [`Time::checked_div`] where that matters.
    fn div(self, rhs: Time) -> Time {
        if rhs.num > 0 {
            if let Some(t) = Time::mul64(
                self,
                Time {
                    num: rhs.den,
                    den: rhs.num,
                },
            ) {
                return t;
            }
        } else if rhs.num < 0 && rhs.num != i64::MIN {
            if let Some(t) = Time::mul64(
                self,
                Time {
                    num: -rhs.den,
                    den: -rhs.num,
                },
            ) {
                return t;
            }
        }
        Time::from_i128(
            self.num as i128 * rhs.den as i128,
            self.den as i128 * rhs.num as i128,
        )
    }
}

impl AddAssign for Time {
    fn add_assign(&mut self, rhs: Time) {
        *self = *self + rhs;
    }
}

impl SubAssign for Time {
    fn sub_assign(&mut self, rhs: Time) {
        *self = *self - rhs;
    }
}

impl fmt::Debug for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.den == 1 {
            write!(f, "{}", self.num)
        } else {
            write!(f, "{}/{}", self.num, self.den)
        }
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// A half-open interval of time `[begin, end)` (Tidal's `Arc`/Strudel's `TimeSpan`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TimeSpan {
    /// Inclusive start.
    pub begin: Time,
    /// Exclusive end.
    pub end: Time,
}

impl TimeSpan {
    /// `[begin, end)`.
    pub const fn new(begin: Time, end: Time) -> TimeSpan {
        TimeSpan { begin, end }
    }

    /// Length.
    pub fn duration(self) -> Time {
        self.end - self.begin
    }

    /// The intersection, if the spans overlap. A zero-width span at `t` intersects any span
    /// that contains `t` (Tidal's `subArc` rules).
    pub fn intersect(self, other: TimeSpan) -> Option<TimeSpan> {
        let b = self.begin.max(other.begin);
        let e = self.end.min(other.end);
        if b > e {
            return None;
        }
        if b == e {
            // Zero-width results are only kept when they are not at the end of a non-zero span.
            if b == self.end && self.begin < self.end {
                return None;
            }
            if b == other.end && other.begin < other.end {
                return None;
            }
        }
        Some(TimeSpan::new(b, e))
    }

    /// Split at cycle boundaries: `[0.5, 2.25)` gives `[0.5,1) [1,2) [2,2.25)`.
    /// A zero-width span gives itself.
    pub fn cycles(self) -> CycleSpans {
        CycleSpans {
            next: self.begin,
            end: self.end,
            zero_width: self.begin == self.end,
            done: self.begin > self.end,
        }
    }

    /// Apply `f` to both ends.
    pub fn map(self, f: impl Fn(Time) -> Time) -> TimeSpan {
        TimeSpan::new(f(self.begin), f(self.end))
    }

    /// The cycle (start) that this span's begin lies in.
    pub fn sam(self) -> Time {
        self.begin.sam()
    }

    /// True when `t` lies in `[begin, end)`.
    pub fn contains(self, t: Time) -> bool {
        self.begin <= t && t < self.end
    }
}

impl fmt::Debug for TimeSpan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{:?}, {:?})", self.begin, self.end)
    }
}

/// Iterator returned by [`TimeSpan::cycles`].
pub struct CycleSpans {
    next: Time,
    end: Time,
    zero_width: bool,
    done: bool,
}

impl Iterator for CycleSpans {
    type Item = TimeSpan;
    fn next(&mut self) -> Option<TimeSpan> {
        if self.done {
            return None;
        }
        if self.zero_width {
            self.done = true;
            return Some(TimeSpan::new(self.next, self.next));
        }
        if self.next >= self.end {
            self.done = true;
            return None;
        }
        let stop = self.next.next_sam().min(self.end);
        let span = TimeSpan::new(self.next, stop);
        self.next = stop;
        Some(span)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gcd_shortcuts_agree_with_euclid() {
        fn euclid(mut a: u64, mut b: u64) -> u64 {
            while b != 0 {
                (a, b) = (b, a % b);
            }
            a
        }
        let mut values: Vec<u64> = (0..70).collect();
        for k in 0..64 {
            values.push(1 << k);
            values.push((1u64 << k).wrapping_mul(3));
            values.push((1u64 << k) | 1);
        }
        values.extend([u64::MAX, u64::MAX - 1, 1 << 63, 20_000 * 4 + 3, 96, 48_000]);
        for &a in &values {
            for &b in &values {
                assert_eq!(gcd_u64(a, b), euclid(a, b), "gcd({a}, {b})");
            }
        }
    }

    #[test]
    fn reduces_and_orders() {
        assert_eq!(Time::new(2, 4), Time::new(1, 2));
        assert_eq!(Time::new(1, -2), Time::new(-1, 2));
        assert!(Time::new(1, 3) < Time::new(1, 2));
        assert_eq!(Time::new(1, 3) + Time::new(1, 6), Time::new(1, 2));
        assert_eq!(Time::new(7, 2).floor_int(), 3);
        assert_eq!(Time::new(-1, 2).floor_int(), -1);
        assert_eq!(Time::new(-1, 2).cycle_pos(), Time::new(1, 2));
    }

    #[test]
    fn floats_become_short_fractions() {
        assert_eq!(Time::from_f64(0.1), Time::new(1, 10));
        assert_eq!(Time::from_f64(1.0 / 3.0), Time::new(1, 3));
        assert_eq!(Time::from_f64(-0.25), Time::new(-1, 4));
        assert_eq!(Time::from_f64(f64::NAN), Time::ZERO);
    }

    #[test]
    fn overflow_approximates_instead_of_panicking() {
        let big = Time::new(i64::MAX, 3);
        let _ = big * big;
        let _ = big + Time::new(1, i64::MAX);
        let tiny = Time::new(1, i64::MAX - 1);
        let _ = tiny * tiny;
        let _ = Time::new(i64::MIN, 1) - Time::ONE;
    }

    #[test]
    fn cycle_split() {
        let parts: Vec<_> = TimeSpan::new(Time::new(1, 2), Time::new(9, 4))
            .cycles()
            .collect();
        assert_eq!(
            parts,
            vec![
                TimeSpan::new(Time::new(1, 2), Time::ONE),
                TimeSpan::new(Time::ONE, Time::int(2)),
                TimeSpan::new(Time::int(2), Time::new(9, 4)),
            ]
        );
    }
}
