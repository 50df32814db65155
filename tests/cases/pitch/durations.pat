// cycles: 1
play a { degree: 0, dur: 1, legato: 0.5, stretch: 2 }
play b { degree: 0, dur: 1, sustain: 0.25 }
play c { degree: 0, delta: 3, dur: 1 }
