// With no MIDI input, every control reads its default: `cc` its `default` (0 unless
// given), `held()` nothing (a rest, so `keys` is silent), `switch` and `toggle` false,
// and input triggers never fire (`pads` stays on the first item, `gated` never starts).
play knob { degree: cc(74, default: 0.5) * 8, amp: cc(7, smooth: 2).range(0.1, 0.3), dur: 2 }
play keys { midinote: held().arp(updown), dur: 1/4 }
play pedal { degree: switch(64).count(quant: 0), dur: 2, octave: 4 }
play pads { degree: notes(lo: 36, hi: 51).step([2, 4]), dur: 4, octave: 6 }
play gated { degree: 0, dur: 1, start: press(20), stop: toggle(21) }
