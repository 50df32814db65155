// A first beat: drums from mini-notation, a bass line from a SuperCollider-style stream.
// Try: patter events examples/first-beat.pat --cycles 2
tempo 120

play drums {
  s: "bd*2 [~ bd] sn:2 [hh hh hh]".every(4, rev),
  amp: 0.8,
}

play bass {
  degree: seq([0, 0, 3, 5]),
  octave: 3,
  dur: 0.5,
  legato: 0.6,
  amp: 0.4,
}

play lead {
  note: "<[c5,e5,g5] [a4,c5,e5]>".arp(updown).fast(2),
  amp: perlin.range(0.1, 0.25),
  pan: sine.slow(2).range(-0.5, 0.5),
}
