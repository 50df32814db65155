// cycles: 4
play a { note: "0 4".whenmod(4, 2, p => p + 12) }
