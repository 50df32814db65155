play a { degree: 0, degree: 1 }
