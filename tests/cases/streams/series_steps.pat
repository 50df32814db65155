// cycles: 2
// Pseries adds each step to a running total, as SuperCollider's embedInStream does
// (`outval = cur; cur = cur + step`): steps 1, 2, 3, 1, 2, … give 0, 1, 3, 6, 7, 9, 12, 13.
// Pgeom multiplies the same way: 1, 2, 2·3, 6·2, 12·3, …
play a { degree: series(0, seq([1, 2, 3])), dur: 0.5 }
play g { freq: geom(1, seq([2, 3]), 6), dur: 0.5 }
