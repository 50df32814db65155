// cycles: 6
// A fill starts every second bar and stops one bar later: it plays in bars 2 and 4, in
// phase (its rhythm runs on while it is silent). The bass is stopped for good by the
// first firing of its timer, at bar 3.
play fill { s: "sn*4", start: timer(2), stop: timer(2, offset: 1) }
play bass { degree: seq([0, 4]), dur: 2, stop: timer(3) }
