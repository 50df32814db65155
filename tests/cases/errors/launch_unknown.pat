// A launch names a scene that is not declared.
scene verse { play a { degree: 0 } }
scene chorus { play b { degree: 2 } }
launch [verse, chrous] on timer(4)
