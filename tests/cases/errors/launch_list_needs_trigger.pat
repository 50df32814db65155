// Stepping through a list of scenes needs something to step on.
scene verse { play a { degree: 0 } }
scene chorus { play b { degree: 2 } }
launch [verse, chorus]
