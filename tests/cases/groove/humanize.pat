// cycles: 1
// Humanize is a seeded hash: this snapshot is the same on every run. `b` differs from `a`
// only by the humanize seed.
play a { s: "hh*8", humanize: { time: 0.05, amp: 0.2, seed: 1 } }
play b { s: "hh*8", humanize: { time: 0.05, amp: 0.2, seed: 2 } }
