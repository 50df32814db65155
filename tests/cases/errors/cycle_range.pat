cycle 0
play a { s: "bd" }
