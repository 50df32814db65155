// A first beat: drums from mini-notation, a bass line from a SuperCollider-style stream,
// and a little arpeggio on top.
//
//   patter events examples/first-beat.pat --cycles 2      (see every note, exactly)
//   patter render examples/first-beat.pat --bars 8 -o first-beat.wav
//
// A bar (a "cycle") is 4 beats; at 120 BPM it lasts two seconds.
tempo 120

// You hear two kicks, a kick on the "and" of beat 2, a snare and a triplet of hats. The
// string is one bar: each space-separated step takes an equal share, `[ ]` squeezes its
// steps into one share, `*2` plays a step twice, `~` is a rest. One bar in four (the
// first, fifth, ...) `every(4, rev)` plays the bar backwards: it opens on the hats.
play drums {
  s: "bd*2 [~ bd] sn:2 [hh hh hh]".every(4, rev),
  amp: 0.8,
}

// A bass on steady eighth notes (`dur: 0.5` beats, the Pbind way): degrees 0, 0, 3, 5 of
// C major (C, C, F, A), two octaves down, short (`legato: 0.6`) so it bounces.
play bass {
  degree: seq([0, 0, 3, 5]),
  octave: 3,
  dur: 0.5,
  legato: 0.6,
  s: "bass",
  amp: 0.4,
}

// A C major and an A minor chord take turns (`< >`), spread into up-and-down arpeggios
// by `arp(updown)`; `fast(2)` fits two turns in a bar, so the chord changes every half
// bar. Its level drifts with Perlin noise and it sways left and right every two bars.
play lead {
  note: "<[c5,e5,g5] [a4,c5,e5]>".arp(updown).fast(2),
  s: "pluck",
  amp: perlin.range(0.15, 0.3),
  pan: sine.slow(2).range(-0.5, 0.5),
}
