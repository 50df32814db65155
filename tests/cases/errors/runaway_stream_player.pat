play a { note: seq([0, 2, 4]), dur: 0.000001 }
