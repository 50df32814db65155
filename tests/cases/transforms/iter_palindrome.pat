// cycles: 4
play a { note: "0 1 2 3".iter(4) }
play b { note: "0 1 2".palindrome }
