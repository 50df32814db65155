play a { degree: seq(0..100000), dur: 1 }
