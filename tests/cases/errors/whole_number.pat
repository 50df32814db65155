play a { s: "bd sn".every(2.5, rev) }
