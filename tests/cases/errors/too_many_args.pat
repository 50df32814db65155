play a { s: fast(2, "bd", "sn") }
