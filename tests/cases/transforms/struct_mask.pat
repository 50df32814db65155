// cycles: 1
play a { note: "0 2 4 7".struct("t ~ t t") }
play b { note: "0*8".mask("1 0 1 1") }
play c { note: "c4".struct(euclid(3, 8, 2)) }
play d { s: "bd".euclid(5, 8) }
