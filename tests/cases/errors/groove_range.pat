play a { s: "hh*4", groove: { grid: 8, timing: [0, 0.6] } }
play b { s: "hh*4", groove: { grid: 0 } }
play c { s: "hh*4", groove: { amp: -1 } }
