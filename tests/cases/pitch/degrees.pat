// cycles: 1
play p { degree: seq([0, 7, -1, -8, 2.1, 1.9, 0.5]), dur: 0.5 }
