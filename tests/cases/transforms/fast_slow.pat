play a { s: "bd sn".fast(2) }
play b { s: "bd sn hh cp".slow(2) }
play c { s: "bd sn".fast("<1 2>") }
