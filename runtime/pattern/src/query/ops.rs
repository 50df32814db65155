//! The time-structure operators: `pure`, `fast`, `rotL`, `rev`, `cat`, `timeCat`
//! (`compressArc`/`_fastGap`), and `tParam`'s inner join for patterned parameters.

use super::{map_tail_times, retain_tail, Budget, Overrun, QIndexed, QValued, Scratch, Q};
use crate::pat::{CycleCond, Hap, Pat, PatRef};
use crate::time::{Time, TimeSpan};
use crate::value::Value;

/// Tidal `pure`: one hap per cycle the span touches, whole = that cycle.
pub(crate) fn pure(
    v: &Value,
    span: TimeSpan,
    budget: &mut Budget,
    out: &mut Vec<Hap>,
) -> Result<(), Overrun> {
    if span.begin == span.end {
        budget.spend(1)?;
        let c = span.begin.sam();
        out.push(Hap {
            whole: Some(TimeSpan::new(c, span.begin.next_sam())),
            part: span,
            value: v.clone(),
            gain: 1.0,
        });
        return Ok(());
    }
    let first = span.begin.floor_int();
    let last = span.end.ceil_int();
    let count = last.saturating_sub(first).max(0) as u64;
    // Charged up front: `fast 1e9 a` fails here before allocating anything.
    budget.spend(count)?;
    out.reserve(count.min(1 << 12) as usize);
    let mut c = first;
    while c < last {
        let next = c.saturating_add(1);
        let whole = TimeSpan::new(Time::int(c), Time::int(next));
        let part = TimeSpan::new(span.begin.max(whole.begin), span.end.min(whole.end));
        out.push(Hap {
            whole: Some(whole),
            part,
            value: v.clone(),
            gain: 1.0,
        });
        if next == c {
            break;
        }
        c = next;
    }
    Ok(())
}

/// Tidal `_fast r`: query `[b·r, e·r)`, divide result times by r. 0 is silence, negative
/// factors reverse.
pub(crate) fn fast(
    r: Time,
    span: TimeSpan,
    budget: &mut Budget,
    out: &mut Vec<Hap>,
    inner: Q,
) -> Result<(), Overrun> {
    if r.is_zero() {
        return Ok(());
    }
    if r.is_negative() {
        let r = -r;
        return rev(span, budget, out, &mut |s, b, o| {
            fast(r, s, b, o, &mut *inner)
        });
    }
    if r == Time::ONE {
        return inner(span, budget, out);
    }
    let start = out.len();
    inner(TimeSpan::new(span.begin * r, span.end * r), budget, out)?;
    let inv = Time::ONE / r;
    map_tail_times(out, start, |t| t * inv);
    Ok(())
}

/// Tidal `rotL t`: query `[b+t, e+t)`, subtract t from result times.
pub(crate) fn early(
    t: Time,
    span: TimeSpan,
    budget: &mut Budget,
    out: &mut Vec<Hap>,
    inner: Q,
) -> Result<(), Overrun> {
    if t.is_zero() {
        return inner(span, budget, out);
    }
    let start = out.len();
    inner(TimeSpan::new(span.begin + t, span.end + t), budget, out)?;
    map_tail_times(out, start, |x| x - t);
    Ok(())
}

/// Tidal `rev`: each cycle reflected in itself.
///
/// Zero-width queries are the one place we depart from Tidal: Tidal reflects `[c, c]` to
/// `[c+1, c+1]`, the start of the *next* cycle, so sampling `rev "a b"` at 0 gives `a`.
/// We return what is really active at `t`: the haps of the reflected cycle whose part
/// contains `t` (continuous signals are sampled at the reflected point).
pub(crate) fn rev(
    span: TimeSpan,
    budget: &mut Budget,
    out: &mut Vec<Hap>,
    inner: Q,
) -> Result<(), Overrun> {
    if span.begin == span.end {
        return rev_point(span.begin, budget, out, inner);
    }
    for piece in span.cycles() {
        budget.spend(1)?;
        let cyc = piece.begin.sam();
        let axis = cyc + cyc + Time::ONE;
        let start = out.len();
        inner(
            TimeSpan::new(axis - piece.end, axis - piece.begin),
            budget,
            out,
        )?;
        // Reflecting part and whole alike keeps each fragment's offsets within its whole
        // mirrored, which is Tidal's makeWholeRelative/makeWholeAbsolute dance.
        map_tail_times(out, start, |t| axis - t);
        for h in out.iter_mut().skip(start) {
            if let Some(w) = h.whole {
                h.whole = Some(TimeSpan::new(w.end, w.begin));
            }
            h.part = TimeSpan::new(h.part.end, h.part.begin);
        }
    }
    Ok(())
}

fn rev_point(t: Time, budget: &mut Budget, out: &mut Vec<Hap>, inner: Q) -> Result<(), Overrun> {
    let cyc = t.sam();
    let axis = cyc + cyc + Time::ONE;
    let start = out.len();
    inner(TimeSpan::new(cyc, cyc + Time::ONE), budget, out)?;
    retain_tail(out, start, |h| {
        let Some(w) = h.whole else { return false };
        let part = TimeSpan::new(axis - h.part.end, axis - h.part.begin);
        if !(part.begin <= t && t < part.end) {
            return false;
        }
        h.whole = Some(TimeSpan::new(axis - w.end, axis - w.begin));
        h.part = TimeSpan::new(t, t);
        true
    });
    let mid = out.len();
    let r = axis - t;
    inner(TimeSpan::new(r, r), budget, out)?;
    retain_tail(out, mid, |h| {
        h.part = TimeSpan::new(t, t);
        h.whole.is_none()
    });
    Ok(())
}

/// Tidal `cat` (slowcat): for each cycle piece, pattern `i = c mod n` queried at
/// `span - offset`, `offset = c - floor((c - i) / n)`, so pattern i's k-th cycle plays in
/// cycle `n·k + i`. `pick(i, span, ..)` queries pattern i.
pub(crate) fn slowcat(
    n: usize,
    span: TimeSpan,
    budget: &mut Budget,
    out: &mut Vec<Hap>,
    pick: QIndexed,
) -> Result<(), Overrun> {
    if n == 0 {
        return Ok(());
    }
    let n128 = n as i128;
    for piece in span.cycles() {
        budget.spend(1)?;
        let cyc = piece.begin.floor_int();
        let (i, offset) = match (n as i64, cyc) {
            (n64, c) if n64 > 0 && c.unsigned_abs() < (1 << 62) => {
                let i = c.rem_euclid(n64);
                (i as i128, (c - (c - i).div_euclid(n64)) as i128)
            }
            (_, c) => {
                let c = c as i128;
                let i = c.rem_euclid(n128);
                (i, c - (c - i).div_euclid(n128))
            }
        };
        let off = Time::int(offset.clamp(i64::MIN as i128, i64::MAX as i128) as i64);
        let start = out.len();
        if off.is_zero() {
            pick(i as usize, piece, budget, out)?;
        } else {
            pick(
                i as usize,
                TimeSpan::new(piece.begin - off, piece.end - off),
                budget,
                out,
            )?;
            map_tail_times(out, start, |t| t + off);
        }
    }
    Ok(())
}

/// Tidal `_fastGap r`: each cycle of the pattern squeezed into the first `1/r` of the same
/// cycle, the rest silent. Result arcs are mapped relative to the cycle of their own start
/// (Tidal's quirk: a whole that began in an earlier cycle comes back misplaced, and may not
/// contain its part; such fragments have no onset).
pub(crate) fn fast_gap(
    r: Time,
    span: TimeSpan,
    budget: &mut Budget,
    out: &mut Vec<Hap>,
    inner: Q,
) -> Result<(), Overrun> {
    if r.is_zero() {
        return Ok(());
    }
    let r = r.max(Time::ONE);
    let w = Time::ONE / r;
    for piece in span.cycles() {
        budget.spend(1)?;
        let next = piece.begin.next_sam();
        let munge = |t: Time| {
            let s = t.sam();
            s + (r * (t - s)).min(Time::ONE)
        };
        let qb = munge(piece.begin);
        if qb == next {
            continue;
        }
        let qe = munge(piece.end);
        let start = out.len();
        inner(TimeSpan::new(qb, qe), budget, out)?;
        squeeze_tail(out, start, w, Time::ZERO);
    }
    Ok(())
}

/// Map each arc of `out[start..]` by `_fastGap`'s result function (scale by `w` relative
/// to the cycle of the arc's start), then shift by `shift`.
#[inline]
fn squeeze_tail(out: &mut [Hap], start: usize, w: Time, shift: Time) {
    squeeze_tail_steps(out, start, w, shift, None);
}

/// [`squeeze_tail`]; `step = Some((i, n))` says that `w = 1/n` and `shift = i/n` (step `i`
/// of `n` equal steps), which allows one reduction per time instead of four operations.
#[inline]
fn squeeze_tail_steps(
    out: &mut [Hap],
    start: usize,
    w: Time,
    shift: Time,
    step: Option<(i64, i64)>,
) {
    let arc = |a: TimeSpan| {
        let s = a.begin.sam();
        if let Some((i, n)) = step {
            if let (Some(b), Some(e)) = (step_time(s, a.begin, i, n), step_time(s, a.end, i, n)) {
                return TimeSpan::new(b, e);
            }
        }
        let base = s + shift;
        TimeSpan::new(base + (a.begin - s) * w, base + (a.end - s) * w)
    };
    for h in out.iter_mut().skip(start) {
        if let Some(wh) = h.whole {
            if wh == h.part {
                let m = arc(wh);
                h.whole = Some(m);
                h.part = m;
                continue;
            }
            h.whole = Some(arc(wh));
        }
        h.part = arc(h.part);
    }
}

/// `s + i/n + (t - s)/n` for an integer `s`, as one fraction `s + (i·q + p)/(q·n)` where
/// `t - s = p/q`. `None` outside small terms, where the caller does the steps one by one:
/// inside them neither way rounds, so both give the same reduced fraction.
#[inline]
fn step_time(s: Time, t: Time, i: i64, n: i64) -> Option<Time> {
    const SMALL: u64 = 1 << 31;
    let c = s.num();
    if s.den() != 1 || c.unsigned_abs() >= SMALL || n <= 0 || n as u64 >= SMALL || i < 0 {
        return None;
    }
    let f = t - s;
    let (p, q) = (f.num(), f.den());
    if q as u64 >= SMALL || p.unsigned_abs() >= SMALL * SMALL {
        return None;
    }
    let num = i.checked_mul(q)?.checked_add(p)?;
    let den = q.checked_mul(n)?;
    Some(s + Time::new(num, den))
}

/// Tidal `compressArc (s, e)` = `rotR s . _fastGap (1/(e-s))`: the pattern's cycle c
/// squeezed into `[c+s, c+e)`. Silence unless `0 <= s < e <= 1`. [`timecat`] computes
/// the same thing directly; this literal form is kept as its test oracle.
#[cfg(test)]
pub(crate) fn compress(
    s: Time,
    e: Time,
    span: TimeSpan,
    budget: &mut Budget,
    out: &mut Vec<Hap>,
    inner: Q,
) -> Result<(), Overrun> {
    if s >= e || s.is_negative() || e > Time::ONE {
        return Ok(());
    }
    let r = Time::ONE / (e - s);
    early(-s, span, budget, out, &mut |sp, b, o| {
        fast_gap(r, sp, b, o, &mut *inner)
    })
}

/// Tidal `focusArc (s, e)` = `rotR (cyclePos s) . _fastGap (1/(e-s))`, used by
/// `squeezeJoin` (`ply`).
pub(crate) fn focus(
    s: Time,
    e: Time,
    span: TimeSpan,
    budget: &mut Budget,
    out: &mut Vec<Hap>,
    inner: Q,
) -> Result<(), Overrun> {
    if s >= e {
        return Ok(());
    }
    let r = Time::ONE / (e - s);
    early(-s.cycle_pos(), span, budget, out, &mut |sp, b, o| {
        fast_gap(r, sp, b, o, &mut *inner)
    })
}

/// Tidal `timeCat`: `stack` of `compressArc` of each weighted step. Done directly: for each
/// cycle piece only the steps whose slot meets the piece are queried, each over
/// `compressArc`'s munged span (the derivation: the rotated query falls in one cycle of
/// the step's pattern; `_fastGap`'s span munging then reduces to the formula below).
pub(crate) fn timecat(
    steps: &[(Time, PatRef)],
    span: TimeSpan,
    budget: &mut Budget,
    out: &mut Vec<Hap>,
) -> Result<(), Overrun> {
    let Some((w0, _)) = steps.first() else {
        return Ok(());
    };
    let equal = steps.iter().all(|(w, _)| w == w0) && !w0.is_negative() && !w0.is_zero();
    if equal && steps.len() == 1 {
        // compressArc (0, 1) is the identity (up to Tidal's cycle splitting, which cannot
        // change results here since every node splits where it needs to).
        return match steps.first() {
            Some((_, p)) => p.query(span, budget, out),
            None => Ok(()),
        };
    }
    // Slot bounds: equal weights (every mini-notation sequence without `@`) need no sums.
    let n = steps.len() as i64;
    let mut bounds: Vec<(Time, Time)> = Vec::new();
    if !equal {
        let total = steps
            .iter()
            .filter(|(w, _)| !w.is_negative())
            .fold(Time::ZERO, |a, (w, _)| a + *w);
        if total.is_zero() || total.is_negative() {
            return Ok(());
        }
        let mut acc = Time::ZERO;
        for (w, _) in steps {
            // Tidal would divide by zero on a zero weight; such steps just take no room.
            let w = (*w).max(Time::ZERO);
            let s = acc / total;
            acc += w;
            bounds.push((s, acc / total));
        }
    }
    // Equal steps: one width and its inverse for all.
    let (step_w, step_r) = (Time::new(1, n), Time::int(n));
    for piece in span.cycles() {
        budget.spend(1)?;
        let cyc = piece.begin.sam();
        let pb = piece.begin - cyc;
        let pe = piece.end - cyc;
        let zero = pb == pe;
        // Candidate steps: with equal weights, only the index range the piece covers.
        let (lo, hi) = if equal {
            let lo = (pb * Time::int(n)).floor_int();
            let hi = if zero {
                lo + 1
            } else {
                (pe * Time::int(n)).ceil_int()
            };
            (lo.clamp(0, n) as usize, hi.clamp(0, n) as usize)
        } else {
            (0, steps.len())
        };
        // With equal steps each slot starts where the previous one ended.
        let mut next_start = Time::new(lo as i64, n);
        for i in lo..hi {
            let (s, e) = if equal {
                let s = next_start;
                next_start = Time::new(i as i64 + 1, n);
                (s, next_start)
            } else {
                bounds.get(i).copied().unwrap_or((Time::ZERO, Time::ZERO))
            };
            let hit = if zero {
                s <= pb && pb < e
            } else {
                s < pe && pb < e
            };
            if !hit || s >= e {
                continue;
            }
            let Some((_, p)) = steps.get(i) else { continue };
            let (w, r) = if equal {
                (step_w, step_r)
            } else {
                let w = e - s;
                (w, Time::ONE / w)
            };
            // The common whole-step query skips the arithmetic.
            let qb = if pb <= s { cyc } else { cyc + r * (pb - s) };
            let qe = if pe >= e {
                cyc + Time::ONE
            } else {
                cyc + (r * (pe - s)).min(Time::ONE)
            };
            if let Pat::Pure(v) = &**p {
                if pb <= s && pe >= e && cyc.num().unsigned_abs() < 1 << 40 {
                    // A constant step over its whole slot: the one hap `pure` gives for
                    // `[cyc, cyc + 1)` (a visit and a hap: 2 steps), squeezed, is the slot.
                    budget.spend(2)?;
                    let slot = cyc + s;
                    let whole = TimeSpan::new(slot, slot + w);
                    out.push(Hap {
                        whole: Some(whole),
                        part: whole,
                        value: v.clone(),
                        gain: 1.0,
                    });
                    continue;
                }
            }
            let start = out.len();
            p.query(TimeSpan::new(qb, qe), budget, out)?;
            let step = if equal { Some((i as i64, n)) } else { None };
            squeeze_tail_steps(out, start, w, s, step);
        }
    }
    Ok(())
}

/// Tidal's `tParam` (inner join): query the parameter pattern, and for each of its haps run
/// `f(value, part)`; the inner haps keep their wholes and are cut to the query span.
pub(crate) fn with_param(
    param: &Pat,
    span: TimeSpan,
    budget: &mut Budget,
    out: &mut Vec<Hap>,
    f: QValued,
) -> Result<(), Overrun> {
    if let Pat::Pure(v) = param {
        // A constant's haps are the cycle pieces of the span; the inner haps already lie
        // inside each piece, so the join's cutting is a no-op.
        for piece in span.cycles() {
            budget.spend(1)?;
            f(v, piece, budget, out)?;
        }
        return Ok(());
    }
    let mut outer = Scratch::take();
    param.query(span, budget, &mut outer)?;
    for h in outer.iter() {
        let start = out.len();
        f(&h.value, h.part, budget, out)?;
        retain_tail(out, start, |ih| {
            match span.intersect(ih.part).and_then(|l| l.intersect(span)) {
                Some(p) => {
                    ih.part = p;
                    true
                }
                None => false,
            }
        });
    }
    Ok(())
}

/// `every`/`whenmod` (Tidal `when` on the cycle number, per cycle piece).
pub(crate) fn when_cycle(
    cond: CycleCond,
    then: &Pat,
    otherwise: &Pat,
    span: TimeSpan,
    budget: &mut Budget,
    out: &mut Vec<Hap>,
) -> Result<(), Overrun> {
    for piece in span.cycles() {
        budget.spend(1)?;
        let c = piece.begin.floor_int();
        let hit = match cond {
            CycleCond::Every { n, offset } => n > 0 && c.rem_euclid(n) == offset,
            CycleCond::WhenMod { a, b } => a > 0 && c.rem_euclid(a) >= b,
        };
        if hit {
            then.query(piece, budget, out)?;
        } else {
            otherwise.query(piece, budget, out)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::build::{fastcat, seq_words, slow, word};
    use std::sync::Arc;

    fn by_compress(steps: &[(Time, PatRef)], span: TimeSpan) -> Vec<Hap> {
        let total = steps.iter().fold(Time::ZERO, |a, (w, _)| a + *w);
        let mut out = Vec::new();
        let mut acc = Time::ZERO;
        let mut budget = Budget::new(1 << 30);
        for (w, p) in steps {
            let s = acc / total;
            acc += *w;
            let e = acc / total;
            compress(s, e, span, &mut budget, &mut out, &mut |sp, b, o| {
                p.query(sp, b, o)
            })
            .unwrap();
        }
        out
    }

    fn sorted(mut v: Vec<Hap>) -> Vec<String> {
        let mut s: Vec<String> = v.drain(..).map(|h| format!("{h:?}")).collect();
        s.sort();
        s
    }

    #[test]
    fn step_time_matches_the_step_by_step_arithmetic() {
        let mut checked = 0;
        for c in [-5i64, -1, 0, 1, 7, 1 << 20, (1 << 31) - 1, 1 << 31] {
            let s = Time::int(c);
            for q in [1i64, 2, 3, 4, 6, 7, 12, 1 << 30, (1 << 31) + 1] {
                for p in [-3i64, 0, 1, 2, 5, q - 1, q, q + 1, 3 * q] {
                    let t = s + Time::new(p, q);
                    for n in 1..=9i64 {
                        for i in 0..n {
                            let w = Time::new(1, n);
                            let shift = Time::new(i, n);
                            let slow = s + shift + (t - s) * w;
                            if let Some(fast) = step_time(s, t, i, n) {
                                assert_eq!(fast, slow, "c={c} t={t:?} i={i} n={n}");
                                checked += 1;
                            }
                        }
                    }
                }
            }
        }
        assert!(checked > 10_000);
    }

    #[test]
    fn timecat_matches_stack_of_compress_arc() {
        let steps: Vec<(Time, PatRef)> = vec![
            (Time::new(1, 1), word("a")),
            (
                Time::new(2, 1),
                slow(Time::new(3, 2), seq_words(&["b", "c"])),
            ),
            (
                Time::new(1, 2),
                fastcat(vec![word("d"), Arc::new(Pat::Silence)]),
            ),
            (Time::new(3, 2), slow(Time::new(2, 1), word("e"))),
        ];
        let equal: Vec<(Time, PatRef)> = vec![
            (Time::ONE, word("a")),
            (Time::ONE, slow(Time::new(5, 2), word("b"))),
            (Time::ONE, word("c")),
        ];
        for st in [&steps, &equal] {
            let pat = Pat::TimeCat(st.clone());
            for b in -13..13i64 {
                for len in 0..9i64 {
                    let span = TimeSpan::new(Time::new(b, 5), Time::new(b + len, 5));
                    let mut out = Vec::new();
                    pat.query(span, &mut Budget::new(1 << 30), &mut out)
                        .unwrap();
                    assert_eq!(sorted(out), sorted(by_compress(st, span)), "{span:?}");
                }
            }
        }
    }
}
