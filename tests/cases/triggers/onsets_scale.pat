// cycles: 3
// Every kick of a 3-in-8 rhythm after the start steps through the scales; the change
// takes effect at the next bar. Bar 1 has seen the kicks at 3/8 and 6/8 of bar 0 and the
// one on its own downbeat: three, so it plays in scales[3 mod 2] = phrygian.
let kicks = onsets("x(3,8)")
play arp {
  degree: "0 1 2 3",
  scale: kicks.step([dorian, phrygian]),
}
