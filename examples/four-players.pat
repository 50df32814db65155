// Four players at four densities: drums (about sixteen hits a bar), bass (eight), melody
// (two to four notes) and harmony (one chord a bar). Each makes its rhythm its own way,
// and together they are a band in A minor.
//
//   patter events examples/four-players.pat --cycles 1 --format count   (how busy a bar is)
//   patter render examples/four-players.pat --bars 8 -o band.wav
tempo 124
scale minor
root 9 // A

// Drums, the densest layer: three rhythms stacked with `,` in one string. The kick plays a
// dotted figure, the snare the backbeat, and the sixteenth-note hats lose about one hit
// in three at random (`?0.3`, seeded, so every render is the same).
play drums {
  s: "[bd ~ ~ bd ~ ~ bd ~, ~ sn ~ sn, hh*16?0.3]",
  amp: 0.4,
}

// Bass, the Pbind way: `dur` 0.5 beats gives a steady eighth-note pulse and `seq` walks
// through eight degrees, one per note: the root on every other eighth, answered by its
// octave (7) and fifth (4), then the sixth and seventh (5, 6) climb back to the top.
play bass {
  degree: seq([0, 0, 7, 0, 4, 0, 5, 6]),
  dur: 0.5,
  legato: 0.5,
  octave: 3,
  s: "bass",
  cutoff: 900,
  amp: 0.5,
}

// Melody: one phrase per bar, four bars long (`< >` picks one per bar). `.` splits a bar
// into halves; `~` leaves room to breathe. A filtered square wave, panned a little right.
play melody {
  degree: "<[4 ~ 2 3 . 4 ~] [4 . 7 ~] [6 5 4 ~ . 2 ~] [2 ~ 1 . ~ 0]>",
  octave: 5,
  s: "square",
  cutoff: 2400,
  amp: 0.2,
  pan: 0.3,
}

// Harmony, the slowest layer: one chord a bar (a list inside the string is a chord) —
// i, VI, iv, v: A minor, F major, D minor, E minor. A soft pad with a slow attack and a
// long release, so the chords overlap into each other.
play harmony {
  degree: "<[0,2,4] [5,7,9] [3,5,7] [4,6,8]>",
  octave: 4,
  s: "pad",
  legato: 1,
  attack: 0.4,
  release: 1.2,
  cutoff: 1500,
  amp: 0.1,
  pan: -0.3,
}
