// cycles: 1
play a { degree: seq([0, 1, 2], 2, 1), dur: 0.5 }
play b { degree: seq([0, seq([5, 6], 2)]), dur: 0.5 }
