play a { degree: seq([0, 1], repeats: 2, 1), dur: 1 }
