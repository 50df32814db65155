// A signal has no value for earlier events, so series cannot add it up.
play a { degree: series(0, sine), dur: 0.5 }
