// A launch's quant is from 0 to 1024 beats.
scene verse { play a { degree: 0 } }
launch verse on timer(4), quant: -1
