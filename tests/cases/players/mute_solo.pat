// cycles: 1
play a { degree: 0, dur: 2 }
play b { degree: 2, dur: 2 }
play c { degree: 4, dur: 2 }
mute a
solo b, c
unsolo c
