// Polymeter: loops of different lengths on one shared pulse, drifting against each other
// and lining up again only after many bars. Listen for the snare and the bell-like
// figure landing in a different place every bar.
//
//   patter events examples/polymeter.pat --cycles 2 --player drums
//   patter render examples/polymeter.pat --bars 8 -o polymeter.wav
tempo 126
scale dorian
root 7 // G

// Tidal's polymeter braces: `{…}%8` steps every layer at 8 steps a bar (eighth notes),
// whatever its own length. The kick loop is 3 steps long, the snare loop 4, the hats 5:
// their accents line up again only after 3 × 4 × 5 = 60 eighths, seven and a half bars.
play drums {
  s: "{bd ~ ~, ~ ~ sn ~, hh hh oh hh hh}%8",
  amp: 0.38,
}

// Five notes on a pulse of sixteenths, fast enough to sound like one figure: 5 against
// the bar's 16, so it starts one note later in the figure every bar.
play bells {
  degree: "{0 4 2 6 7}%16",
  octave: 6,
  s: "pluck",
  amp: 0.28,
  pan: 0.4,
}

// The same idea the SuperCollider way: five bass degrees against three durations
// (3/4 + 3/4 + 1/2 = two beats). Each note takes the next degree and the next length, so
// degree and length drift apart and realign every 15 notes (ten beats).
play bass {
  degree: seq([0, 0, 4, 3, -1]),
  dur: seq([0.75, 0.75, 0.5]),
  legato: 0.7,
  octave: 3,
  s: "bass",
  cutoff: 800,
  amp: 0.45,
}

// A pad holds one chord for two bars, the fixed frame the loops turn inside.
play pad {
  degree: "<[0,2,4] [-1,1,3]>/2",
  octave: 4,
  s: "pad",
  legato: 1,
  attack: 0.5,
  release: 1,
  amp: 0.08,
}
