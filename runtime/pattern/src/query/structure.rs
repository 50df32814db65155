//! Structure-making operators: Euclidean rhythms, `ply`, numeric ranges and arpeggios.

use std::sync::Arc;

use super::{as_int, as_time, ops, retain_tail, sub_maybe, Budget, Overrun, Scratch};
use crate::euclid::{bjorklund, MAX_STEPS};
use crate::pat::{ArpMode, Hap, Pat, PatRef};
use crate::rand::time_to_rands;
use crate::time::{Time, TimeSpan};
use crate::value::Value;

/// One combined hap of Tidal's `appBoth` (`<*>`): wholes and parts intersected.
struct Both {
    whole: Option<TimeSpan>,
    part: TimeSpan,
    a: Value,
    b: Value,
}

/// Tidal `appBoth` of two patterns: for each hap of `pa`, the haps of `pb` over its whole,
/// with wholes and parts intersected.
fn app_both(pa: &Pat, pb: &Pat, span: TimeSpan, budget: &mut Budget) -> Result<Vec<Both>, Overrun> {
    let mut left = Scratch::take();
    pa.query(span, budget, &mut left)?;
    let mut right = Scratch::take();
    let mut res = Vec::new();
    for l in left.iter() {
        right.clear();
        pb.query(l.whole.unwrap_or(l.part), budget, &mut right)?;
        for r in right.iter() {
            let Some(whole) = sub_maybe(l.whole, r.whole) else {
                continue;
            };
            let Some(part) = l.part.intersect(r.part) else {
                continue;
            };
            budget.spend(1)?;
            res.push(Both {
                whole,
                part,
                a: l.value.clone(),
                b: r.value.clone(),
            });
        }
    }
    Ok(res)
}

/// Patterned Euclid (Tidal `tParam3 _euclidOff`, or `_euclidOffBool` with `bool_gaps`):
/// the three arguments combined with `appBoth`, then inner-joined.
#[allow(clippy::too_many_arguments)]
pub(crate) fn euclid(
    k: &Pat,
    n: &Pat,
    rot: &Pat,
    pat: &Pat,
    bool_gaps: bool,
    span: TimeSpan,
    budget: &mut Budget,
    out: &mut Vec<Hap>,
) -> Result<(), Overrun> {
    if let (Pat::Pure(kv), Pat::Pure(nv), Pat::Pure(rv)) = (k, n, rot) {
        let (Some(k), Some(n), Some(r)) = (as_int(kv), as_int(nv), as_int(rv)) else {
            return Ok(());
        };
        let bits = euclid_bits(k, n);
        for piece in span.cycles() {
            budget.spend(1)?;
            euclid_fixed(&bits, n, r, pat, bool_gaps, piece, budget, out)?;
        }
        return Ok(());
    }
    let kn = app_both(k, n, span, budget)?;
    let mut rots = Scratch::take();
    for c in kn {
        rots.clear();
        rot.query(c.whole.unwrap_or(c.part), budget, &mut rots)?;
        for r in rots.iter() {
            let Some(part) = c.part.intersect(r.part) else {
                continue;
            };
            let (Some(kk), Some(nn), Some(rr)) = (as_int(&c.a), as_int(&c.b), as_int(&r.value))
            else {
                continue;
            };
            let bits = euclid_bits(kk, nn);
            let start = out.len();
            euclid_fixed(&bits, nn, rr, pat, bool_gaps, part, budget, out)?;
            retain_tail(out, start, |h| match span.intersect(h.part) {
                Some(p) => {
                    h.part = p;
                    true
                }
                None => false,
            });
        }
    }
    Ok(())
}

/// The step list of `_euclid k n`: Bjorklund, inverted for negative `k`; empty (silence)
/// when `n <= 0` or beyond [`MAX_STEPS`].
fn euclid_bits(k: i64, n: i64) -> Arc<[bool]> {
    if n <= 0 || n > MAX_STEPS || k.unsigned_abs() > MAX_STEPS as u64 {
        return Arc::from(Vec::new());
    }
    let found = BITS
        .try_with(|m| {
            m.try_borrow().ok().and_then(|m| {
                m.iter()
                    .find(|(kk, nn, _)| *kk == k && *nn == n)
                    .map(|(_, _, b)| b.clone())
            })
        })
        .ok()
        .flatten();
    if let Some(bits) = found {
        return bits;
    }
    let bits: Arc<[bool]> = if k >= 0 {
        Arc::from(bjorklund(k, n))
    } else {
        bjorklund(-k, n).into_iter().map(|b| !b).collect()
    };
    if n <= BITS_MAX_STEPS {
        let _ = BITS.try_with(|m| {
            if let Ok(mut m) = m.try_borrow_mut() {
                if m.len() >= BITS_ENTRIES {
                    m.remove(0);
                }
                m.push((k, n, bits.clone()));
            }
        });
    }
    bits
}

/// Step lists kept per thread, and the longest worth keeping.
const BITS_ENTRIES: usize = 16;
const BITS_MAX_STEPS: i64 = 1024;

/// `(k, n, steps)` entries, oldest first.
type BitsTable = std::cell::RefCell<Vec<(i64, i64, Arc<[bool]>)>>;

thread_local! {
    /// Recent step lists: a fixed Euclidean rhythm is rebuilt on every query otherwise.
    static BITS: BitsTable = const { std::cell::RefCell::new(Vec::new()) };
}

/// `rotL (r/n) (fastcat [step_i])`, each pulse step playing `pat` squeezed (its cycle c in
/// the step of cycle c); gaps are silent, or play `not pat` with `bool_gaps`.
#[allow(clippy::too_many_arguments)]
fn euclid_fixed(
    bits: &[bool],
    n: i64,
    r: i64,
    pat: &Pat,
    bool_gaps: bool,
    span: TimeSpan,
    budget: &mut Budget,
    out: &mut Vec<Hap>,
) -> Result<(), Overrun> {
    if bits.is_empty() || (!bool_gaps && !bits.iter().any(|b| *b)) {
        return Ok(());
    }
    let steps = Time::int(bits.len() as i64);
    let shift = Time::new(r, n);
    ops::early(shift, span, budget, out, &mut |s, b, o| {
        ops::fast(steps, s, b, o, &mut |s, b, o| {
            ops::slowcat(bits.len(), s, b, o, &mut |i, s, b, o| match bits.get(i) {
                Some(true) => pat.query(s, b, o),
                Some(false) if bool_gaps => {
                    let start = o.len();
                    pat.query(s, b, o)?;
                    for h in o.iter_mut().skip(start) {
                        h.value = Value::Bool(!h.value.is_truthy());
                    }
                    Ok(())
                }
                _ => Ok(()),
            })
        })
    })
}

/// Tidal `ply` (`squeezeJoin $ _fast n . pure <$> pat`): each hap repeated `n` times
/// within its whole; the factor is patterned (`tParam`).
pub(crate) fn ply(
    factor: &Pat,
    pat: &Pat,
    span: TimeSpan,
    budget: &mut Budget,
    out: &mut Vec<Hap>,
) -> Result<(), Overrun> {
    let mut outer = Scratch::take();
    ops::with_param(factor, span, budget, out, &mut |v, s, b, o| {
        let Some(n) = as_time(v) else { return Ok(()) };
        outer.clear();
        pat.query(s, b, &mut outer)?;
        for h in outer.iter() {
            let focus = h.whole.unwrap_or(h.part);
            let start = o.len();
            let value = &h.value;
            ops::focus(focus.begin, focus.end, h.part, b, o, &mut |s, b, o| {
                ops::fast(n, s, b, o, &mut |s, b, o| ops::pure(value, s, b, o))
            })?;
            retain_tail(o, start, |ih| {
                let Some(whole) = sub_maybe(h.whole, ih.whole) else {
                    return false;
                };
                let Some(part) = h.part.intersect(ih.part) else {
                    return false;
                };
                ih.whole = whole;
                ih.part = part;
                ih.gain *= h.gain;
                true
            });
        }
        Ok(())
    })
}

/// Most values a single range step may enumerate; beyond it the step is silent.
const MAX_RANGE: f64 = 65_536.0;

/// Haskell's `enumFromTo` on doubles (`[a .. b]` runs while `<= b + 1/2`), reversed for a
/// descending range as Tidal's `enumFromTo'`.
fn enum_from_to(a: f64, b: f64) -> Option<Vec<f64>> {
    if !a.is_finite() || !b.is_finite() || (b - a).abs() > MAX_RANGE {
        return None;
    }
    let (lo, hi) = if a > b { (b, a) } else { (a, b) };
    let mut vals = Vec::new();
    let mut x = lo;
    while x <= hi + 0.5 {
        vals.push(x);
        x += 1.0;
    }
    if a > b {
        vals.reverse();
    }
    Some(vals)
}

/// Mini-notation `a .. b` (Tidal `unwrap $ fromTo <$> a <*> b`): for each pair of values,
/// the enumerated numbers as one sequence per cycle, wholes cut to the pair's whole.
pub(crate) fn range(
    from: &Pat,
    to: &Pat,
    span: TimeSpan,
    budget: &mut Budget,
    out: &mut Vec<Hap>,
) -> Result<(), Overrun> {
    for c in app_both(from, to, span, budget)? {
        let (Some(a), Some(b)) = (c.a.as_num(), c.b.as_num()) else {
            continue;
        };
        let Some(vals) = enum_from_to(a, b) else {
            continue;
        };
        budget.spend(vals.len() as u64)?;
        let seq = Pat::TimeCat(
            vals.into_iter()
                .map(|x| (Time::ONE, Arc::new(Pat::Pure(Value::Num(x)))))
                .collect(),
        );
        let start = out.len();
        seq.query(c.part, budget, out)?;
        retain_tail(out, start, |h| {
            let Some(whole) = sub_maybe(c.whole, h.whole) else {
                return false;
            };
            let Some(part) = c.part.intersect(h.part) else {
                return false;
            };
            h.whole = whole;
            h.part = part;
            true
        });
    }
    Ok(())
}

/// Tidal `arp`: haps sharing a whole (a chord; a chord value counts as one hap per note)
/// are spread over that whole in the mode's order.
///
/// Tidal groups the haps of the current query by whole, so a chord whose notes come back
/// fragmented differently (or split by the query window) is spread wrongly. We instead
/// take each whole the query meets, query the pattern over that whole, and take as the
/// chord the notes that start there; each spread note is then cut to the query span. This
/// is what Tidal gives for unfragmented chords, and it makes onsets independent of how the
/// timeline is tiled. `Random` (not a Tidal mode) shuffles each chord with
/// [`time_to_rands`] at its start.
pub(crate) fn arp(
    mode: ArpMode,
    pat: &PatRef,
    span: TimeSpan,
    budget: &mut Budget,
    out: &mut Vec<Hap>,
) -> Result<(), Overrun> {
    let start = out.len();
    pat.query(span, budget, out)?;
    let mut wholes: Vec<TimeSpan> = out.drain(start..).filter_map(|h| h.whole).collect();
    wholes.sort_by_key(|w| (w.begin, w.end));
    wholes.dedup();
    let mut found = Scratch::take();
    let mut chord = Scratch::take();
    for w in wholes {
        found.clear();
        chord.clear();
        pat.query(w, budget, &mut found)?;
        for h in found.drain(..) {
            if h.whole != Some(w) || h.part.begin != w.begin {
                continue;
            }
            match &h.value {
                Value::Chord(vs) => {
                    for v in vs.iter() {
                        budget.spend(1)?;
                        chord.push(Hap {
                            value: v.clone(),
                            ..h.clone()
                        });
                    }
                }
                _ => chord.push(h),
            }
        }
        let order = arp_order(mode, &chord, w.begin);
        let d = Time::int(order.len() as i64);
        let dur = (w.end - w.begin) / d;
        for (n, &idx) in order.iter().enumerate() {
            let Some(h) = chord.get(idx) else { continue };
            let new_begin = w.begin + dur * Time::int(n as i64);
            let new_whole = TimeSpan::new(new_begin, new_begin + dur);
            if let Some(part) = new_whole.intersect(span) {
                budget.spend(1)?;
                out.push(Hap {
                    whole: Some(new_whole),
                    part,
                    value: h.value.clone(),
                    gain: h.gain,
                });
            }
        }
    }
    Ok(())
}

/// Indices into a chord in the order Tidal's `arps` table gives.
fn arp_order(mode: ArpMode, group: &[Hap], onset: Time) -> Vec<usize> {
    let n = group.len();
    let up: Vec<usize> = (0..n).collect();
    let down: Vec<usize> = (0..n).rev().collect();
    let init = |v: &[usize]| v.get(..v.len().saturating_sub(1)).unwrap_or(&[]).to_vec();
    match mode {
        ArpMode::Up => up,
        ArpMode::Down => down,
        ArpMode::UpDown => [init(&up), init(&down)].concat(),
        ArpMode::DownUp => [init(&down), init(&up)].concat(),
        ArpMode::Converge => converge(&up),
        ArpMode::Diverge => {
            let mut c = converge(&up);
            c.reverse();
            c
        }
        ArpMode::Random => {
            let rands = time_to_rands(onset, n);
            let mut order = up;
            // Fisher-Yates from the top, one random number per position.
            for i in (1..n).rev() {
                let r = rands.get(i).copied().unwrap_or(0.0);
                let j = ((r * (i + 1) as f64).floor() as usize).min(i);
                order.swap(i, j);
            }
            order
        }
    }
}

/// Note `idx mod k` of the arpeggio order of a chord (k: the order's length); a single
/// value is itself and a rest stays a rest (the stream form of `arp`, see
/// [`crate::Stream::Arp`]).
pub(crate) fn arp_pick(mode: ArpMode, v: &Value, idx: u64, onset: Time) -> Value {
    let Value::Chord(notes) = v else {
        return v.clone();
    };
    let mut sorted: Vec<&Value> = notes.iter().collect();
    sorted.sort_by(|a, b| {
        a.as_num()
            .unwrap_or(f64::NAN)
            .total_cmp(&b.as_num().unwrap_or(f64::NAN))
    });
    let blank = Hap {
        whole: None,
        part: TimeSpan::new(onset, onset),
        value: Value::Rest,
        gain: 1.0,
    };
    let mut order = arp_order(mode, &vec![blank; sorted.len()], onset);
    if order.is_empty() {
        // `updown` of one note is empty in Tidal; an arpeggiator keeps playing it.
        order = (0..sorted.len()).collect();
    }
    if order.is_empty() {
        return Value::Rest;
    }
    let at = (idx % order.len() as u64) as usize;
    order
        .get(at)
        .and_then(|i| sorted.get(*i))
        .map_or(Value::Rest, |v| (*v).clone())
}

/// Tidal's `converge`: first, last, second, second-to-last, ...
fn converge(xs: &[usize]) -> Vec<usize> {
    let mut out = Vec::with_capacity(xs.len());
    let (mut lo, mut hi) = (0usize, xs.len());
    let mut front = true;
    while lo < hi {
        if front {
            out.extend(xs.get(lo).copied());
            lo += 1;
        } else {
            hi -= 1;
            out.extend(xs.get(hi).copied());
        }
        front = !front;
    }
    out
}
