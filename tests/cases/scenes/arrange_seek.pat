// from: 6
// cycles: 1
// Seeking into the middle of the verse (bars: intro 0, verse 1–2): the bass is at the
// step it has at beat 2 of the verse, exactly as when played from the start.
scene intro { play pad { degree: 0, dur: 4 } }
scene verse { play bass { degree: seq([0, 1, 2]), dur: 1, octave: 3 } }
arrange intro 1, verse 2
