play a { degree: seq([]), dur: 1 }
