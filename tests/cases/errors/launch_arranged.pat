// One scene on two timelines: the arrangement and a trigger.
scene verse { play a { degree: 0 } }
scene chorus { play b { degree: 2 } }
arrange verse 4, chorus 4
launch chorus on timer(2)
