// `lo` is the lowest note of the range and `hi` the highest.
play a { degree: notes(lo: 60, hi: 48).count, dur: 1 }
