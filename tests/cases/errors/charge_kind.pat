// Only an integrator has a charge.
play a { amp: onsets("x*4").charge, degree: 0, dur: 1 }
