// Rhythm from the first mini-notation key; other keys sampled at each onset.
play drums { s: "bd*2 [~ sn:2]", amp: "<0.5 0.8>", pan: seq([-1, 1]) }
