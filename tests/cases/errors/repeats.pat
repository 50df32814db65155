play a { degree: seq([0, 1], -1), dur: 1 }
