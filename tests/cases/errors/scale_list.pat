play a { degree: 0, scale: [0, "x", 4] }
