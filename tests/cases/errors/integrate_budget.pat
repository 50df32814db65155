// An integrator that is too expensive to compute is refused when it is defined: this one
// samples 256 times a beat a "signal" that is a stack of 512 values.
let t = integrate(0..511, rate: 256)
