// cycles: 7
// A timer moves through the scenes: `verse` launches at the start, then every two bars
// the next scene of the list comes in at the bar line (chorus at bar 2, verse at 4,
// chorus at 6), each from its beginning, stopping the other. `click` is in no scene and
// plays throughout.
scene verse { play bass { degree: seq([0, 1, 2]), dur: 1, octave: 3 } }
scene chorus { play lead { degree: seq([0, 2, 4, 7]), dur: 2 } }
play click { s: "hh", amp: 0.2 }
launch verse
launch [chorus, verse] on timer(2)
