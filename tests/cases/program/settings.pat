// cycles: 1
tempo 90
cycle 3
seed 5
play a { note: "0 1 2" }
