//! SuperCollider's scale directory (`ScaleInfo` in `SCClassLibrary/Common/Collections/
//! Scale.sc`, supercollider/supercollider at 5c28e4b), transcribed entry by entry.
//!
//! Degrees are steps of the scale's own tuning: 12-TET for most, 24-TET for the maqamat,
//! and Harry Partch's 43-tone just tuning for the otonalities/utonalities. SC's
//! `IdentityDictionary` keeps the *last* entry for a repeated key, so `zanjaran` has the
//! degrees of its second (hijazKar) definition, and the ascending/descending scales
//! (`melodicMinor`, `sikah`, `nahawand`, redefined as `ScaleAD` at the end) keep their
//! ascending degrees: a pure event model has no "previous degree" to choose the descending
//! form with.

/// How a scale's steps map to semitones.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Tuning {
    /// Equal temperament: step `k` is `k · 12 / pitches_per_octave` semitones.
    Equal,
    /// Just intonation: step `k` is `ratiomidi(num/den)` of the k-th ratio.
    Ratios(&'static [(u32, u32)]),
}

/// One scale of the directory.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scale {
    /// SC symbol (`dorian`, `majorPentatonic`, …).
    pub name: &'static str,
    /// Degrees in steps of the tuning.
    pub degrees: &'static [f64],
    /// Steps per octave of the tuning (12, 24 or 43).
    pub pitches_per_octave: f64,
    /// The tuning the degrees index.
    pub tuning: Tuning,
}

impl Scale {
    /// Number of degrees.
    pub fn size(&self) -> usize {
        self.degrees.len()
    }

    /// Semitones above the root of degree `i` (wrapped into the scale, as SC's
    /// `Scale.wrapAt`, which reads the tuning: a 24-TET step is half a semitone).
    pub fn semitones_at(&self, i: i64) -> f64 {
        let n = self.degrees.len() as i64;
        if n == 0 {
            return 0.0;
        }
        let step = self
            .degrees
            .get(i.rem_euclid(n) as usize)
            .copied()
            .unwrap_or(0.0);
        match self.tuning {
            Tuning::Equal => step * 12.0 / self.pitches_per_octave,
            Tuning::Ratios(rs) => {
                let len = rs.len() as i64;
                if len == 0 {
                    return 0.0;
                }
                let (num, den) = rs
                    .get((step as i64).rem_euclid(len) as usize)
                    .copied()
                    .unwrap_or((1, 1));
                12.0 * (num as f64 / den as f64).log2()
            }
        }
    }
}

/// `Tuning.partch`: Harry Partch's 43-tone scale as frequency ratios.
pub const PARTCH: &[(u32, u32)] = &[
    (1, 1),
    (81, 80),
    (33, 32),
    (21, 20),
    (16, 15),
    (12, 11),
    (11, 10),
    (10, 9),
    (9, 8),
    (8, 7),
    (7, 6),
    (32, 27),
    (6, 5),
    (11, 9),
    (5, 4),
    (14, 11),
    (9, 7),
    (21, 16),
    (4, 3),
    (27, 20),
    (11, 8),
    (7, 5),
    (10, 7),
    (16, 11),
    (40, 27),
    (3, 2),
    (32, 21),
    (14, 9),
    (11, 7),
    (8, 5),
    (18, 11),
    (5, 3),
    (27, 16),
    (12, 7),
    (7, 4),
    (16, 9),
    (9, 5),
    (20, 11),
    (11, 6),
    (15, 8),
    (40, 21),
    (64, 33),
    (160, 81),
];

const fn et12(name: &'static str, degrees: &'static [f64]) -> Scale {
    Scale {
        name,
        degrees,
        pitches_per_octave: 12.0,
        tuning: Tuning::Equal,
    }
}

const fn et24(name: &'static str, degrees: &'static [f64]) -> Scale {
    Scale {
        name,
        degrees,
        pitches_per_octave: 24.0,
        tuning: Tuning::Equal,
    }
}

const fn partch(name: &'static str, degrees: &'static [f64]) -> Scale {
    Scale {
        name,
        degrees,
        pitches_per_octave: 43.0,
        tuning: Tuning::Ratios(PARTCH),
    }
}

/// The directory, in SC's source order.
pub static SCALES: &[Scale] = &[
    // 12 tones per octave, 5 notes
    et12("minorPentatonic", &[0., 3., 5., 7., 10.]),
    et12("majorPentatonic", &[0., 2., 4., 7., 9.]),
    et12("ritusen", &[0., 2., 5., 7., 9.]),
    et12("egyptian", &[0., 2., 5., 7., 10.]),
    et12("kumoi", &[0., 2., 3., 7., 9.]),
    et12("hirajoshi", &[0., 2., 3., 7., 8.]),
    et12("iwato", &[0., 1., 5., 6., 10.]),
    et12("chinese", &[0., 4., 6., 7., 11.]),
    et12("indian", &[0., 4., 5., 7., 10.]),
    et12("pelog", &[0., 1., 3., 7., 8.]),
    et12("prometheus", &[0., 2., 4., 6., 11.]),
    et12("scriabin", &[0., 1., 4., 7., 9.]),
    et12("gong", &[0., 2., 4., 7., 9.]),
    et12("shang", &[0., 2., 5., 7., 10.]),
    et12("jiao", &[0., 3., 5., 8., 10.]),
    et12("zhi", &[0., 2., 5., 7., 9.]),
    et12("yu", &[0., 3., 5., 7., 10.]),
    // 6 notes
    et12("whole", &[0., 2., 4., 6., 8., 10.]),
    et12("augmented", &[0., 3., 4., 7., 8., 11.]),
    et12("augmented2", &[0., 1., 4., 5., 8., 9.]),
    // Partch's otonalities and utonalities (43-tone just tuning)
    partch("partch_o1", &[0., 8., 14., 20., 25., 34.]),
    partch("partch_o2", &[0., 7., 13., 18., 27., 35.]),
    partch("partch_o3", &[0., 6., 12., 21., 29., 36.]),
    partch("partch_o4", &[0., 5., 15., 23., 30., 37.]),
    partch("partch_o5", &[0., 10., 18., 25., 31., 38.]),
    partch("partch_o6", &[0., 9., 16., 22., 28., 33.]),
    partch("partch_u1", &[0., 9., 18., 23., 29., 35.]),
    partch("partch_u2", &[0., 8., 16., 25., 30., 36.]),
    partch("partch_u3", &[0., 7., 14., 22., 31., 37.]),
    partch("partch_u4", &[0., 6., 13., 20., 28., 38.]),
    partch("partch_u5", &[0., 5., 12., 18., 25., 33.]),
    partch("partch_u6", &[0., 10., 15., 21., 27., 34.]),
    // hexatonic modes with no tritone
    et12("hexMajor7", &[0., 2., 4., 7., 9., 11.]),
    et12("hexDorian", &[0., 2., 3., 5., 7., 10.]),
    et12("hexPhrygian", &[0., 1., 3., 5., 8., 10.]),
    et12("hexSus", &[0., 2., 5., 7., 9., 10.]),
    et12("hexMajor6", &[0., 2., 4., 5., 7., 9.]),
    et12("hexAeolian", &[0., 3., 5., 7., 8., 10.]),
    // 7 notes
    et12("major", &[0., 2., 4., 5., 7., 9., 11.]),
    et12("ionian", &[0., 2., 4., 5., 7., 9., 11.]),
    et12("dorian", &[0., 2., 3., 5., 7., 9., 10.]),
    et12("phrygian", &[0., 1., 3., 5., 7., 8., 10.]),
    et12("lydian", &[0., 2., 4., 6., 7., 9., 11.]),
    et12("mixolydian", &[0., 2., 4., 5., 7., 9., 10.]),
    et12("aeolian", &[0., 2., 3., 5., 7., 8., 10.]),
    et12("minor", &[0., 2., 3., 5., 7., 8., 10.]),
    et12("locrian", &[0., 1., 3., 5., 6., 8., 10.]),
    et12("harmonicMinor", &[0., 2., 3., 5., 7., 8., 11.]),
    et12("harmonicMajor", &[0., 2., 4., 5., 7., 8., 11.]),
    et12("melodicMinor", &[0., 2., 3., 5., 7., 9., 11.]),
    et12("melodicMinorDesc", &[0., 2., 3., 5., 7., 8., 10.]),
    et12("melodicMajor", &[0., 2., 4., 5., 7., 8., 10.]),
    et12("bartok", &[0., 2., 4., 5., 7., 8., 10.]),
    et12("hindu", &[0., 2., 4., 5., 7., 8., 10.]),
    // raga modes
    et12("todi", &[0., 1., 3., 6., 7., 8., 11.]),
    et12("purvi", &[0., 1., 4., 6., 7., 8., 11.]),
    et12("marva", &[0., 1., 4., 6., 7., 9., 11.]),
    et12("bhairav", &[0., 1., 4., 5., 7., 8., 11.]),
    et12("ahirbhairav", &[0., 1., 4., 5., 7., 9., 10.]),
    et12("superLocrian", &[0., 1., 3., 4., 6., 8., 10.]),
    et12("romanianMinor", &[0., 2., 3., 6., 7., 9., 10.]),
    et12("hungarianMinor", &[0., 2., 3., 6., 7., 8., 11.]),
    et12("neapolitanMinor", &[0., 1., 3., 5., 7., 8., 11.]),
    et12("enigmatic", &[0., 1., 4., 6., 8., 10., 11.]),
    et12("spanish", &[0., 1., 4., 5., 7., 8., 10.]),
    // modes of whole tones with added note
    et12("leadingWhole", &[0., 2., 4., 6., 8., 10., 11.]),
    et12("lydianMinor", &[0., 2., 4., 6., 7., 8., 10.]),
    et12("neapolitanMajor", &[0., 1., 3., 5., 7., 9., 11.]),
    et12("locrianMajor", &[0., 2., 4., 5., 6., 8., 10.]),
    // 8 notes
    et12("diminished", &[0., 1., 3., 4., 6., 7., 9., 10.]),
    et12("diminished2", &[0., 2., 3., 5., 6., 8., 9., 11.]),
    // 12 notes
    et12(
        "chromatic",
        &[0., 1., 2., 3., 4., 5., 6., 7., 8., 9., 10., 11.],
    ),
    // 24 tones per octave
    et24(
        "chromatic24",
        &[
            0., 1., 2., 3., 4., 5., 6., 7., 8., 9., 10., 11., 12., 13., 14., 15., 16., 17., 18.,
            19., 20., 21., 22., 23.,
        ],
    ),
    // maqam ajam
    et24("ajam", &[0., 4., 8., 10., 14., 18., 22.]),
    et24("jiharkah", &[0., 4., 8., 10., 14., 18., 21.]),
    et24("shawqAfza", &[0., 4., 8., 10., 14., 16., 22.]),
    // maqam sikah
    et24("sikah", &[0., 3., 7., 11., 14., 17., 21.]),
    et24("sikahDesc", &[0., 3., 7., 11., 13., 17., 21.]),
    et24("huzam", &[0., 3., 7., 9., 15., 17., 21.]),
    et24("iraq", &[0., 3., 7., 10., 13., 17., 21.]),
    et24("bastanikar", &[0., 3., 7., 10., 13., 15., 21.]),
    et24("mustar", &[0., 5., 7., 11., 13., 17., 21.]),
    // maqam bayati
    et24("bayati", &[0., 3., 6., 10., 14., 16., 20.]),
    et24("karjighar", &[0., 3., 6., 10., 12., 18., 20.]),
    et24("husseini", &[0., 3., 6., 10., 14., 17., 21.]),
    // maqam nahawand
    et24("nahawand", &[0., 4., 6., 10., 14., 16., 22.]),
    et24("nahawandDesc", &[0., 4., 6., 10., 14., 16., 20.]),
    et24("farahfaza", &[0., 4., 6., 10., 14., 16., 20.]),
    et24("murassah", &[0., 4., 6., 10., 12., 18., 20.]),
    et24("ushaqMashri", &[0., 4., 6., 10., 14., 17., 21.]),
    // maqam rast
    et24("rast", &[0., 4., 7., 10., 14., 18., 21.]),
    et24("rastDesc", &[0., 4., 7., 10., 14., 18., 20.]),
    et24("suznak", &[0., 4., 7., 10., 14., 16., 22.]),
    et24("nairuz", &[0., 4., 7., 10., 14., 17., 20.]),
    et24("yakah", &[0., 4., 7., 10., 14., 18., 21.]),
    et24("yakahDesc", &[0., 4., 7., 10., 14., 18., 20.]),
    et24("mahur", &[0., 4., 7., 10., 14., 18., 22.]),
    // maqam hijaz; SC defines zanjaran twice and the second (hijazKar) entry wins
    et24("hijaz", &[0., 2., 8., 10., 14., 17., 20.]),
    et24("hijazDesc", &[0., 2., 8., 10., 14., 16., 20.]),
    et24("zanjaran", &[0., 2., 8., 10., 14., 16., 22.]),
    // maqam saba
    et24("saba", &[0., 3., 6., 8., 12., 16., 20.]),
    et24("zamzam", &[0., 2., 6., 8., 14., 16., 20.]),
    // maqam kurd
    et24("kurd", &[0., 2., 6., 10., 14., 16., 20.]),
    et24("kijazKarKurd", &[0., 2., 8., 10., 14., 16., 22.]),
    // maqam nawa athar
    et24("nawaAthar", &[0., 4., 6., 12., 14., 16., 22.]),
    et24("nikriz", &[0., 4., 6., 12., 14., 18., 20.]),
    et24("atharKurd", &[0., 2., 6., 12., 14., 16., 22.]),
];

/// The scale called `name` (exact SC symbol, case-sensitive).
pub fn lookup(name: &str) -> Option<&'static Scale> {
    SCALES.iter().find(|s| s.name == name)
}

/// All scale names, in SC's source order.
pub fn names() -> impl Iterator<Item = &'static str> {
    SCALES.iter().map(|s| s.name)
}

/// The default Event scale (`[0,2,4,5,7,9,11]`).
pub fn major() -> &'static Scale {
    static MAJOR: Scale = et12("major", &[0., 2., 4., 5., 7., 9., 11.]);
    &MAJOR
}
