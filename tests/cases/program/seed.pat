// cycles: 1
// seed: 11
play a { degree: rand([0, 1, 2, 3, 4, 5, 6, 7]), dur: 0.5 }
