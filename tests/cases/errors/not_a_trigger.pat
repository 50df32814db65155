// `step` needs a trigger; a trigger is not a value; `start` takes a trigger.
play a { degree: 4.step([0, 2]), dur: 1 }
play b { degree: timer(2), dur: 1 }
play c { degree: 0, dur: 1, start: 2 }
