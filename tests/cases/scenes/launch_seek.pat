// from: 26
// cycles: 2
// Seeking into the middle of a launched scene: the chorus came in at bar 6 (beat 24),
// so at beat 26 its lead is at its third note, exactly as when played from the start.
scene verse { play bass { degree: seq([0, 1, 2]), dur: 1, octave: 3 } }
scene chorus { play lead { degree: seq([0, 2, 4, 7]), dur: 1 } }
play click { s: "hh", amp: 0.2 }
launch verse
launch [chorus, verse] on timer(2)
