// Euclidean rhythm into an arpeggiator in D dorian, turned phrygian (darker) and back by
// a leaky integrator of a slow LFO: the rewrite of euclid-arp-dorian.pat with a real
// integrator instead of its exact-integral stand-in.
//
//   patter render examples/euclid-arp-integrator.pat --bars 24 -o arp.wav
//
// Listen for bar 5: the second and sixth notes of the scale drop a semitone (E becomes
// Eb, B becomes Bb); bar 8 brings them back up. The LFO is then low, the integrator
// hardly charges, and the darker mode only returns at bar 19, for three bars again.
tempo 112
scale dorian
root 2 // D

// The LFO is a sine with a period of 16 bars, from 0 to 1. The integrator reads it four
// times a beat and adds it up, `state += (lfo − 0.02·state) / 4`: it charges fast while
// the LFO is high and barely at all while it is low, because the leak lets it forget.
// When the state reaches 10 the integrator fires and starts again from 0. Each firing
// moves `mode` on to the next scale of the list, at the next bar line (step's default
// quant), and that is the scale of both melodic players.
let lfo = sine.slow(16)
let swell = integrate(lfo, threshold: 10, leak: 0.02)
let mode = swell.step([dorian, phrygian])

// The arpeggiator. Its rhythm is a Euclidean one: 5 plucks spread as evenly as possible
// over 8 eighth notes, the 3-rotation shifting them every other bar. Each pluck takes the
// next step of the up-and-down figure 0 2 4 6 4 2 (a seventh chord, SuperCollider's Pseq)
// on top of the bar's root from the mini-notation (i, IV, i, VII).
play arp {
  s: "pluck(5,8,<0 3>)",
  degree: "<0 3 0 -1>" + seq([0, 2, 4, 6, 4, 2]),
  scale: mode,
  // Louder as the integrator charges (its state runs from 0 up to the threshold, 10).
  amp: 0.22 + swell.charge / 60,
  pan: sine.slow(3).range(-0.4, 0.4),
}

// The bass holds the root of each bar for seven eighths and pushes it again on the last.
play bass {
  degree: "<0 3 0 -1>@7 <0 3 0 -1>", s: "bass", octave: 3,
  scale: mode, legato: 0.9, amp: 0.35,
}

// Kicks in the 3-in-8 tresillo and a clap on beats 2 and 4.
play drums {
  s: "bd(3,8), ~ cp",
  amp: 0.45,
}

// Quiet sixteenth hats, silent at first. Each firing goes either to `start` or to `stop`,
// a seeded coin toss (`share` by equal weights): the hats come in or drop out with it
// (with the default seed they come in at bar 5 and leave at bar 19).
play hats {
  s: "hh*16",
  amp: "0.25 0.15",
  start: swell.share([1, 1], 0),
  stop: swell.share([1, 1], 1),
}
