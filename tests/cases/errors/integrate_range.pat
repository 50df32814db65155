// Out-of-range integrator settings, each reported with its rule.
let a = integrate(sine, threshold: 0)
let b = integrate(sine, leak: 8, rate: 4)
let c = integrate(sine, prob: 1.5)
let d = timer(0)
let e = timer(1).step([0, 1], quant: -1)
