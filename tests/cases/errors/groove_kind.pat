play a { s: "hh*4", groove: 3 }
play b { s: "hh*4", groove: { grid: 8, swing: 0.2 } }
