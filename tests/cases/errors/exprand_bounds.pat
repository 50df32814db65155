play a { freq: exprand(0, 100), dur: 1 }
