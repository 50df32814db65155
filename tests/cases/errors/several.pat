// Independent mistakes are all reported in one pass.
play a { degree: nope, dur: 1 }
play b { s: "bd sn" }
play c { degree: seq(3), dur: 1 }
tempo 5000
