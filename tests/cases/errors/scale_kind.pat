scale 3
play a { degree: 0 }
