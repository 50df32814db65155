play a { s: "bd sn".every(4, every(2)) }
