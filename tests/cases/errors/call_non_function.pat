let three = 3
play a { degree: three(1), dur: 1 }
