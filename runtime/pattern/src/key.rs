//! Key names of binds and events.
//!
//! Every event carries its keys, so a key must be cheap to copy, drop and compare. The
//! keys of SuperCollider's Event model, the derived keys and the common synth and sampler
//! controls are entries of one static, name-sorted table: such a [`Key`] is a one-byte
//! index, cloned and dropped without touching a reference count, and two of them compare
//! by index. Any other name is shared text (`Arc<str>`). Construction canonicalizes (a
//! name in the table is always stored as its index), so equality never has to compare a
//! table entry with shared text.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::Arc;

/// A key name (`degree`, `dur`, `s`, or any user key). Derefs to `&str`; ordered, compared
/// and hashed as its name.
#[derive(Clone)]
pub struct Key(Repr);

#[derive(Clone)]
enum Repr {
    /// Index into [`KNOWN`].
    Known(u8),
    /// A name outside the table.
    Other(Arc<str>),
}

macro_rules! known_keys {
    ($($id:ident = $name:literal,)*) => {
        /// The table of known names, sorted by byte order (so indices order as names do).
        const KNOWN: &[&str] = &[$($name),*];

        #[allow(non_camel_case_types, clippy::upper_case_acronyms, dead_code)]
        #[repr(u8)]
        enum Index { $($id),* }

        impl Key {
            $(
                #[doc = concat!("`", $name, "`.")]
                pub const $id: Key = Key(Repr::Known(Index::$id as u8));
            )*
        }
    };
}

known_keys! {
    ACCELERATE = "accelerate",
    AMP = "amp",
    ATTACK = "attack",
    BANK = "bank",
    BEGIN = "begin",
    BEND = "bend",
    CHAN = "chan",
    CHANNEL = "channel",
    COARSE = "coarse",
    CONTROL = "control",
    CRUSH = "crush",
    CTL_NUM = "ctlNum",
    CTRANSPOSE = "ctranspose",
    CUT = "cut",
    CUTOFF = "cutoff",
    DB = "db",
    DECAY = "decay",
    DEGREE = "degree",
    DELAY = "delay",
    DELAYFEEDBACK = "delayfeedback",
    DELAYTIME = "delaytime",
    DELTA = "delta",
    DETUNE = "detune",
    DRY = "dry",
    DUR = "dur",
    END = "end",
    FREQ = "freq",
    GAIN = "gain",
    GATE = "gate",
    GTRANSPOSE = "gtranspose",
    HARMONIC = "harmonic",
    HCUTOFF = "hcutoff",
    HOLD = "hold",
    HPF = "hpf",
    HPQ = "hpq",
    HRESONANCE = "hresonance",
    INSTRUMENT = "instrument",
    LAG = "lag",
    LEGATO = "legato",
    LOOP = "loop",
    LPF = "lpf",
    LPQ = "lpq",
    MIDINOTE = "midinote",
    MTRANSPOSE = "mtranspose",
    N = "n",
    NOTE = "note",
    OCTAVE = "octave",
    OCTAVE_RATIO = "octaveRatio",
    ORBIT = "orbit",
    OUT = "out",
    PAN = "pan",
    PROG_NUM = "progNum",
    PROGRAM = "program",
    RELEASE = "release",
    RESONANCE = "resonance",
    ROOM = "room",
    ROOT = "root",
    S = "s",
    SCALE = "scale",
    SHAPE = "shape",
    SIZE = "size",
    SOUND = "sound",
    SPEED = "speed",
    SQUIZ = "squiz",
    STEPS_PER_OCTAVE = "stepsPerOctave",
    STRETCH = "stretch",
    SUSTAIN = "sustain",
    TIMING_OFFSET = "timingOffset",
    TREMOLO = "tremolo",
    UNIT = "unit",
    VELOCITY = "velocity",
    VOWEL = "vowel",
    WIDTH = "width",
}

impl Key {
    /// The standard key names (SuperCollider Event keys, derived keys, common synth, MIDI
    /// and SuperDirt controls), sorted.
    pub fn standard_names() -> &'static [&'static str] {
        KNOWN
    }

    /// The key called `name`.
    pub fn new(name: &str) -> Key {
        match KNOWN.binary_search(&name) {
            Ok(i) => Key(Repr::Known(i as u8)),
            Err(_) => Key(Repr::Other(Arc::from(name))),
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Known(i) => KNOWN.get(*i as usize).copied().unwrap_or(""),
            Repr::Other(s) => s,
        }
    }
}

impl Deref for Key {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Key {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for Key {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for Key {
    fn from(name: &str) -> Key {
        Key::new(name)
    }
}

impl From<String> for Key {
    fn from(name: String) -> Key {
        Key::new(&name)
    }
}

impl From<Arc<str>> for Key {
    fn from(name: Arc<str>) -> Key {
        match KNOWN.binary_search(&&*name) {
            Ok(i) => Key(Repr::Known(i as u8)),
            Err(_) => Key(Repr::Other(name)),
        }
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        match (&self.0, &other.0) {
            (Repr::Known(a), Repr::Known(b)) => a == b,
            (Repr::Other(a), Repr::Other(b)) => a == b,
            // Canonical construction: a table name is never `Other`.
            _ => false,
        }
    }
}

impl Eq for Key {}

impl PartialEq<str> for Key {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Key {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Key) -> Ordering {
        match (&self.0, &other.0) {
            (Repr::Known(a), Repr::Known(b)) => a.cmp(b),
            _ => self.as_str().cmp(other.as_str()),
        }
    }
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Key) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_table_is_sorted_so_indices_order_as_names() {
        assert!(KNOWN.windows(2).all(|w| w[0] < w[1]));
        assert!(KNOWN.len() <= 256);
    }

    #[test]
    fn constants_name_their_entries() {
        assert_eq!(&*Key::AMP, "amp");
        assert_eq!(&*Key::STEPS_PER_OCTAVE, "stepsPerOctave");
        assert_eq!(&*Key::WIDTH, "width");
        assert_eq!(Key::new("velocity"), Key::VELOCITY);
    }

    #[test]
    fn keys_order_and_compare_as_their_names() {
        let names = [
            "amp", "zz", "Amp", "freq", "cc74", "n", "s", "sa", "", "velocity",
        ];
        for a in names {
            for b in names {
                let (ka, kb) = (Key::new(a), Key::new(b));
                assert_eq!(ka.cmp(&kb), a.cmp(b), "{a} vs {b}");
                assert_eq!(ka == kb, a == b, "{a} vs {b}");
            }
            assert_eq!(Key::from(Arc::<str>::from(a)), Key::new(a));
            assert_eq!(Key::new(a).to_string(), a);
            assert_eq!(format!("{:?}", Key::new(a)), format!("{a:?}"));
        }
    }
}
