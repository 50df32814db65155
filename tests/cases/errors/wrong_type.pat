play a { s: "bd sn".fast(seq([1, 2])) }
