// Euclidean rhythm into an arpeggiator, in D dorian, turning phrygian (darker) while a
// slowly integrated LFO is above a threshold.
//
//   patter render examples/euclid-arp-dorian.pat --bars 16 -o arp.wav
//
// Listen for bar 5: the second and sixth notes of the scale drop a semitone (E becomes
// Eb, B becomes Bb) and stay down until bar 13, when they come back up.
tempo 112
scale dorian
root 2 // D

// The LFO is a sine with a period of 16 bars. Integrating it (adding up its value, minus
// its centre, over time) gives a smoother curve that lags a quarter period behind it.
// For a sine that integral is known exactly: it is `cosine`, which starts at 0, peaks at
// bar 8 and is back at 0 by bar 16. So `charge` *is* the integrator's state (scaled to
// 0..1), and `dark` is true for the bars where it is above one half. `segment(1)` reads it
// once per bar (at mid-bar), so the scale only ever changes on a bar line.
// (Not yet in the language: a general, leaky integrator of any signal that fires a trigger
// and resets when it crosses its threshold. This exact integral is the honest stand-in.)
let charge = cosine.slow(16)
let dark = charge.segment(1) > 0.5

// The scale key holds a pattern of scale names: `mask` keeps "dorian" in the bars where
// `dark` is false and "phrygian" where it is true. Both melodic players share it.
let mode = stack(["dorian".mask(!dark), "phrygian".mask(dark)])

// The arpeggiator. Its rhythm is a Euclidean one: 5 plucks spread as evenly as possible
// over 8 eighth notes, the 3-rotation shifting them every other bar. Each pluck takes the
// next step of the up-and-down figure 0 2 4 6 4 2 (a seventh chord, SuperCollider's Pseq)
// on top of the bar's root from the mini-notation (i, IV, i, VII). Six steps over five
// plucks means the figure starts on a different note every bar.
play arp {
  s: "pluck(5,8,<0 3>)",
  degree: "<0 3 0 -1>" + seq([0, 2, 4, 6, 4, 2]),
  scale: mode,
  amp: 0.3,
  pan: sine.slow(3).range(-0.4, 0.4),
}

// The bass holds the root of each bar for seven eighths (`@7`) and pushes it again on the
// last one, leaning into the next bar.
play bass {
  degree: "<0 3 0 -1>@7 <0 3 0 -1>",
  s: "bass",
  octave: 3,
  scale: mode,
  legato: 0.9,
  amp: 0.35,
}

// Kicks in the 3-in-8 tresillo and a clap on beats 2 and 4 (`,` stacks the two layers).
play drums {
  s: "bd(3,8), ~ cp",
  amp: 0.45,
}
// Quiet sixteenth hats, every other one a little louder.
play hats {
  s: "hh*16",
  amp: "0.25 0.15",
}
