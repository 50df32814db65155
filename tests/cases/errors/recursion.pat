fn forever(x) = forever(x + 1)
play a { degree: forever(0) }
