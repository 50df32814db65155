// cycles: 1
play a { note: "0 ~".echo(3, 0.125, 0.5), amp: 0.4 }
play b { note: "7 ~".stut(3, 0.5, 0.125) }
