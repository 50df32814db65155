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
    // The groups as (count, pattern) runs: Drape's algorithm only ever handles two kinds of
    // group at a time, `xs` (the front ones) and `ys` (the remainder).
    let i = k as usize;
    let j = (n - k).max(0) as usize;
    let mut xs: Vec<Vec<bool>> = vec![vec![true]; i];
    let mut ys: Vec<Vec<bool>> = vec![vec![false]; j];
    let (mut a, mut b) = (i, j);
    while a.min(b) > 1 {
        if a > b {
            // left: the first b of xs absorb ys; the rest of xs become the new ys.
            let rest = xs.split_off(b);
            for (x, y) in xs.iter_mut().zip(ys.iter()) {
                x.extend_from_slice(y);
            }
            ys = rest;
            (a, b) = (b, a - b);
        } else {
            // right: every x absorbs one of the first a ys; the rest of ys stay.
            let rest = ys.split_off(a);
            for (x, y) in xs.iter_mut().zip(ys.iter()) {
                x.extend_from_slice(y);
            }
            ys = rest;
            b -= a;
        }
    }
    let mut out = Vec::with_capacity(n.max(k) as usize);
    for g in xs.iter().chain(ys.iter()) {
        out.extend_from_slice(g);
    }
    out
}
