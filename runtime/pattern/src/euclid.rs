//! Bjorklund's algorithm as Tidal has it (a port of Rohan Drape's `hmt` implementation).
//!
//! The results for (3,4), (5,6), (7,8) and (5,16) differ from Toussaint's paper; Tidal and
//! Strudel agree with this implementation (reference §4). When `k > n` the result is `k`
//! onsets (Tidal's quirk: the step list is then `k` long).

/// Largest pulse or step count accepted; beyond it [`bjorklund`] returns an empty list (the
/// caller plays silence), so a typo like `a(3,1e9)` cannot allocate gigabytes.
pub const MAX_STEPS: i64 = 65_536;

/// Euclidean rhythm of `k` onsets over `n` steps, exactly as Tidal's `bjorklund (k, n)`:
/// `true` marks an onset. Empty when `k < 0`, `n <= 0`, or either exceeds [`MAX_STEPS`];
/// callers handle negative `k` (inversion) themselves.
pub fn bjorklund(k: i64, n: i64) -> Vec<bool> {
    if k < 0 || n <= 0 || k > MAX_STEPS || n > MAX_STEPS {
        return Vec::new();
    }
    // Drape's algorithm keeps two lists of groups, `xs` and `ys`; every group within a list
    // is the same sequence at every stage (both start uniform, and each step builds the
    // new groups uniformly), so one sequence and a count per list suffice.
    let (mut x, mut y) = (vec![true], vec![false]);
    let (mut a, mut b) = (k as usize, (n - k).max(0) as usize);
    while a.min(b) > 1 {
        let joined = [x.as_slice(), y.as_slice()].concat();
        if a > b {
            // left: the first b xs absorb the ys; the remaining xs become the new ys.
            y = std::mem::replace(&mut x, joined);
            (a, b) = (b, a - b);
        } else {
            // right: every x absorbs one y; the remaining ys stay.
            x = joined;
            b -= a;
        }
    }
    let mut out = Vec::with_capacity(a * x.len() + b * y.len());
    for _ in 0..a {
        out.extend_from_slice(&x);
    }
    for _ in 0..b {
        out.extend_from_slice(&y);
    }
    out
}
