// cycles: 4
// The same firings at beats 3, 6, 9, 12 (see integrate_exact). A change waits for its
// quant: with quant 4 (one bar, the default) they take effect at beats 4, 8, 12, 12; with
// quant 2 at beats 4, 6, 10, 12 — a firing exactly on a boundary takes effect at that
// boundary, and two firings in one quantum move two steps at once.
let t = integrate("1", threshold: 3, rate: 1)
play bar { degree: t.step([0, 1, 2, 3]), dur: 1 }
play half { degree: t.step([0, 1, 2, 3], quant: 2), dur: 1, octave: 6 }
