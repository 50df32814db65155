// cycles: 9
// The off-beat onsets of a three-bar pattern (at 1.5, 4.5, 7.5 bars) launch the next
// scene at the following bar line: `a` at bar 2, `b` at bar 5, `a` again at bar 8.
// Nothing plays before the first launch.
scene a { play drums { s: "bd sn" } }
scene b { play drums { s: "bd*4" }; play hats { s: "hh*8", amp: 0.05 } }
launch [a, b] on onsets("<~ [~ x] ~>")
