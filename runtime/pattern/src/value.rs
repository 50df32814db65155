//! Values carried by events.

use std::fmt;
use std::sync::Arc;

/// A value of one key of one event.
///
/// Mini-notation words stay strings (`"bd:3"`, `"c4"`, `"e"`) until a key needs a number:
/// [`Value::as_num`] reads note names then (Tidal's convention: `c5` = 0, i.e. MIDI 60
/// through the `note` key), so `s: "e"` is the sample `e` and `note: "e"` is 4.
#[derive(Clone, PartialEq)]
pub enum Value {
    /// A number.
    Num(f64),
    /// A word: a sample name, an instrument, a scale name, an unconverted note name.
    Str(Arc<str>),
    /// A boolean (`t`/`f` or `true`/`false` in patterns, comparison results).
    Bool(bool),
    /// A chord: several values sounding at once. An event with a chord in any key expands
    /// into one event per note (SuperCollider's multichannel expansion).
    Chord(Arc<[Value]>),
    /// A rest: the event keeps its time slot but makes no sound (SuperCollider's `Rest()`).
    Rest,
}

impl Value {
    /// A string value.
    pub fn str(s: &str) -> Value {
        Value::Str(Arc::from(s))
    }

    /// The value as a number, reading note names (`c`, `f#3`, `eb5`, Tidal octave 5 = 0)
    /// and `true`/`false` as 1/0. `None` for words that are not numbers or notes, chords
    /// and rests.
    pub fn as_num(&self) -> Option<f64> {
        match self {
            Value::Num(x) => Some(*x),
            Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
            Value::Str(s) => note_name(s).or_else(|| s.parse::<f64>().ok()),
            Value::Chord(_) | Value::Rest => None,
        }
    }

    /// Truthiness for `struct`/`mask`: `true`, `t`, non-zero numbers.
    pub fn is_truthy(&self) -> bool {
        match self {
            Value::Bool(b) => *b,
            Value::Num(x) => *x != 0.0,
            Value::Str(s) => matches!(&**s, "t" | "true" | "1"),
            Value::Chord(c) => !c.is_empty(),
            Value::Rest => false,
        }
    }
}

/// Parse a note name: letter `a`–`g` (either case), any number of `#`/`s` (sharp),
/// `b`/`f` (flat), `n` (natural), then an optional octave (default 5, possibly negative).
/// Returns semitones relative to `c5` (so `c5` = 0, `a5` = 9, `c4` = -12).
pub fn note_name(s: &str) -> Option<f64> {
    let bytes = s.as_bytes();
    let first = *bytes.first()?;
    let mut semis: i64 = match first.to_ascii_lowercase() {
        b'c' => 0,
        b'd' => 2,
        b'e' => 4,
        b'f' => 5,
        b'g' => 7,
        b'a' => 9,
        b'b' => 11,
        _ => return None,
    };
    let mut i = 1;
    while i < bytes.len() {
        match bytes.get(i) {
            Some(b'#') | Some(b's') => semis += 1,
            Some(b'b') | Some(b'f') => semis -= 1,
            Some(b'n') => {}
            _ => break,
        }
        i += 1;
    }
    let rest = s.get(i..)?;
    let octave: i64 = if rest.is_empty() {
        5
    } else {
        if rest.len() > 3 {
            return None;
        }
        rest.parse().ok()?
    };
    Some((semis + (octave - 5) * 12) as f64)
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Num(x) => write!(f, "{}", fmt_num(*x)),
            Value::Str(s) => write!(f, "{s}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Chord(vs) => {
                write!(f, "[")?;
                for (i, v) in vs.iter().enumerate() {
                    if i > 0 {
                        write!(f, ",")?;
                    }
                    write!(f, "{v:?}")?;
                }
                write!(f, "]")
            }
            Value::Rest => write!(f, "~"),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Shortest text for a float that round-trips, with integers printed without a dot and
/// float noise (1.1 → 3.000000000000001) trimmed to 10 significant decimals for display.
pub fn fmt_num(x: f64) -> String {
    if x.is_finite() && x == x.trunc() && x.abs() < 1e15 {
        return format!("{}", x as i64);
    }
    let s = format!("{:.10}", x);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn note_names_follow_tidal() {
        assert_eq!(note_name("c"), Some(0.0));
        assert_eq!(note_name("c5"), Some(0.0));
        assert_eq!(note_name("c4"), Some(-12.0));
        assert_eq!(note_name("f#3"), Some(-18.0));
        assert_eq!(note_name("eb5"), Some(3.0));
        assert_eq!(note_name("a"), Some(9.0));
        assert_eq!(note_name("bd"), None);
        assert_eq!(note_name("hh"), None);
    }

    #[test]
    fn numbers_print_compactly() {
        assert_eq!(fmt_num(3.0), "3");
        assert_eq!(fmt_num(3.000000000000001), "3");
        assert_eq!(fmt_num(261.6255653005986), "261.6255653006");
        assert_eq!(fmt_num(-0.5), "-0.5");
    }
}
