play a { degree: seq([0, 1], repeat: 2), dur: 1 }
