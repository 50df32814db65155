// cycles: 4
play a { note: "0 1 2 3".every(2, rev) }
play b { note: "0 1".every(3, fast(2), offset: 1) }
