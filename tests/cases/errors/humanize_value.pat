play a { s: "hh*4", humanize: "x" }
play b { s: "hh*4", humanize: { time: 2 } }
play c { s: "hh*4", humanize: { jitter: 0.1 } }
