scene verse loud { play a { s: "bd" } }
play b { s: "hh" }
