// cycles: 1
play a { note: "0 4".off(0.125, p => p + 12) }
play b { note: "0".superimpose(fast(2)) }
