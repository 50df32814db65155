// `on` takes a trigger, not a number of bars.
scene verse { play a { degree: 0 } }
launch verse on 4
