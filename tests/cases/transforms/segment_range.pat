// cycles: 1
play a { note: saw.range(0, 8).segment(4) }
