// cycles: 1
play chords { degree: seq([[0, 2, 4], 3]), dur: 2 }
play stacked { note: "[c4,e4] g4" }
