// cycles: 3
// A constant signal of 1 integrated once a beat (rate 1): the state is 1, 2, 3 after
// beats 1, 2, 3, so it reaches the threshold 3 at beat 3, resets, and fires again at beats
// 6 and 9. With `quant: 0` each firing takes effect at once: the degree steps at 3, 6, 9.
let t = integrate("1", threshold: 3, rate: 1)
play count { degree: t.step([0, 1, 2, 3], quant: 0), dur: 1 }
