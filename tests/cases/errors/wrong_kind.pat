play a { degree: { x: 1 }, dur: 1 }
