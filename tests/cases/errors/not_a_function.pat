play a { s: "bd sn".every(4, 2) }
