// cycles: 1
play d { s: "bd:3 sn hh:1" }
