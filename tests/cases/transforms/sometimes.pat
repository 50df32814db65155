// cycles: 2
play a { note: "0*8".sometimesBy(0.5, p => p + 12) }
play b { s: "hh*8".degrade }
play c { s: "hh*8".degradeBy(0.25) }
