// cycles: 5
// `loop`: the timeline (a 1, b 1, a 0.5 bars) repeats forever.
scene a { play x { s: "bd*2" } }
scene b { play y { s: "sn*4" } }
arrange loop a 1, b 1, a 0.5
