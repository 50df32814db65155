scale dorain
play a { degree: 0 }
