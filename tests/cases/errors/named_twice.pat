play a { degree: seq([0, 1], repeats: 2, repeats: 3), dur: 1 }
