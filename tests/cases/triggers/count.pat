// cycles: 3
// The timer fires at bars 1 and 2 (every bar, the first after one): `count` is 0, 1, 2
// from bar to bar. With quant 0, the onsets of "x*2" after the start count at once: 0, 1,
// 2, … each half bar (the one at 0 is the start, not a firing).
play bars { degree: timer(1).count, dur: 4 }
play halves { degree: onsets("x*2").count(quant: 0) * 2, dur: 2, octave: 6 }
