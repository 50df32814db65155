// A generative piece: almost every choice is left to chance, and chance is seeded. The
// same seed plays the same piece every time, live or rendered, note for note; change the
// seed (here or with `--seed N`) and you get a different piece from the same rules.
//
//   patter render examples/generative.pat --bars 8 -o gen.wav
//   patter events examples/generative.pat --cycles 2 --seed 7   (another piece)
tempo 84
scale majorPentatonic
root 3 // E flat
seed 2026

// The harmony: four chords in an order the seed picks (`shuf`, SuperCollider's Pshuf),
// that order then kept as a loop, each chord held for a bar.
play chords {
  degree: shuf([[0, 2, 4], [3, 5, 7], [-1, 1, 3], [1, 3, 5]]),
  dur: 4,
  legato: 1.05,
  octave: 4,
  s: "pad",
  attack: 0.8,
  release: 1.5,
  cutoff: 1200,
  amp: 0.13,
}

// The melody wanders: each step is a random pentatonic degree, never the same one twice in
// a row (`xrand`), with lengths drawn by weight (mostly eighths, some quarters, now and then
// a half note: `wrand`). Its level is a random walk (`brown`): phrases swell and fade.
play melody {
  degree: xrand(0..9),
  dur: wrand([0.5, 1, 2], [0.6, 0.3, 0.1]),
  legato: 0.9,
  octave: 5,
  s: "pluck",
  amp: brown(0.2, 0.45, 0.04),
  pan: white(-0.5, 0.5),
}

// A low drone on the root. On the third bar of every four, a coin toss (Tidal's `|`)
// decides whether it rises to the fifth (degree 3 of the pentatonic). Its filter breathes
// on Perlin noise.
play drone {
  degree: "<0 0 [0|3] 0>",
  octave: 3,
  s: "bass",
  legato: 1,
  cutoff: perlin.slow(2).range(300, 900),
  amp: 0.4,
}

// Soft percussion from mini-notation randomness: a rim on the Euclidean 5-in-16, half of
// the hits dropped at random (`degradeBy`), and sometimes doubled (`sometimesBy` + `ply`).
play ticks {
  s: "rim(5,16,<0 2>)".degradeBy(0.5).sometimesBy(0.25, ply(2)),
  amp: 0.3,
  pan: -0.3,
}
