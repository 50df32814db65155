// cycles: 1
play a { degree: 2, octave: 4, root: 2, mtranspose: 1, gtranspose: 1, dur: 1 }
play b { note: 3, ctranspose: 12, dur: 1 }
play c { midinote: 69, harmonic: 2, detune: 5, dur: 1 }
play d { freq: 100, dur: 1, db: -6 }
