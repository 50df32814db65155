// cycles: 4
play a { note: "0 1".ply(2) }
play b { note: "0 1 2 3".chunk(4, p => p + 12) }
