seed 1.5
play a { s: "bd" }
