// cycles: 1
play a { degree: seq(0..3), dur: 1 }
play b { degree: seq(3..0), dur: 1 }
