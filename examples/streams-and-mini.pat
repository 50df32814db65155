// The same ideas said twice: SuperCollider's Pbind streams (Pseq, Prand, Pwhite, Pseries)
// on the left, TidalCycles mini-notation and signals on the right. Two voices play one
// tune an octave apart; they agree on the rhythm and the shape and differ only where
// each rolls its own dice.
//
//   patter events examples/streams-and-mini.pat --cycles 1   (the two side by side)
//   patter render examples/streams-and-mini.pat --bars 8 -o twins.wav
tempo 100
scale minorPentatonic
root 4 // E

// The SuperCollider way: rhythm from `dur`, every key a stream that gives its next value
// to each note.
//   Pseq    the figure 0 2 4, then one Prand pick from 5 6 7. The capitalised `Prand`
//           keeps SuperCollider's default of one value; a lower-case `rand` would repeat
//           forever and the Pseq would never come round again.
//   Pwhite  a new random level for every note.
//   Pseries a filter that opens by 200 Hz a note, eight steps, then starts over (`n`).
play sc {
  degree: Pseq([0, 2, 4, Prand([5, 6, 7])], inf),
  dur: 0.5,
  amp: Pwhite(0.2, 0.3),
  cutoff: n(Pseries(800, 200, 8)),
  s: "saw",
  octave: 5,
  pan: -0.6,
}

// The Tidal way: rhythm from the string, two copies of a four-step bar in each cycle.
//   `[5|6|7]`      a random choice, made again each time round.
//   `rand`         a continuous random signal, sampled at each note's onset.
//   `"[4 .. 11]"`  eight steps counted up in one go, times 200 Hz: the same rising filter.
play tidal {
  degree: "[0 2 4 [5|6|7]]*2",
  amp: rand.range(0.2, 0.3),
  cutoff: "[4 .. 11]" * 200,
  s: "saw",
  octave: 4,
  pan: 0.6,
}

// Both ways, one drum kit: a Pbind walks the kick through Pseq, the hats are a string.
play kick { s: "bd", dur: Pseq([1, 1, 0.5, 1.5], inf), amp: 0.7 }
play hats { s: "[~ hh]*4", amp: 0.3 }
