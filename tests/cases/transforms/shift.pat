// cycles: 1
play a { s: "bd sn hh cp".early(0.25) }
play b { s: "bd sn hh cp".late(0.25) }
