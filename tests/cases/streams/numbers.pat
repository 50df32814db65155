// cycles: 1
play w { degree: white(0, 7), dur: 0.5 }
play e { freq: exprand(100, 1000), dur: 0.5 }
play b { degree: brown(0, 10, 2), dur: 0.5 }
play s { degree: series(0, 2, 8), dur: 0.5 }
play g { freq: geom(100, 1.5, 8), dur: 0.5 }
play n { degree: n(seq([0, 1], 1), 3), dur: 0.5 }
