// cycles: 1
scale dorian
root 2
play a { degree: seq([0, 1, 2, 3, 4, 5, 6, 7]), dur: 0.5 }
play b { degree: seq([0, 1, 2]), scale: [0, 3, 7], dur: 1 }
play c { degree: seq([0, 1, 2]), scale: [0, 5, 11, 14], stepsPerOctave: 19, dur: 1 }
