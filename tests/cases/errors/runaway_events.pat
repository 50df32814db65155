play a { s: "bd".fast(100000000) }
