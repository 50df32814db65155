// cycles: 1
play a {}
