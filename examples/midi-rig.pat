// Written for MIDI gear: a synth on an ALSA/CoreMIDI port plays bass and keys on their own
// channels, a drum machine on JACK plays the kit, and one sketch is only recorded. The
// `out` key routes a player; a player without it goes to every output.
//
//   patter play examples/midi-rig.pat --out midi:FluidSynth --out jack-midi --out smf:take.mid
//   patter render examples/midi-rig.pat --bars 8 -o rig.mid   (every player, one file)
//   patter render examples/midi-rig.pat --bars 8 -o rig.wav   (the built-in synth plays `s`)
tempo 118
// Pitched players set `scale` and `root` (D minor) themselves: a global one would give
// the drums a pitch too, and MIDI would play that pitch instead of the GM drum note.
// Setup, every four bars: General MIDI program 38 (Synth Bass 1; numbers count from 0) on
// channel 2, program 4 (Electric Piano 1) on channel 3, and their volumes (CC 7). `s:
// "ctl"` names no sound, so these events carry only the program and control changes.
play bassSetup { s: "<ctl ~ ~ ~>", chan: 1, program: 38, cc7: 100, out: "midi" }
play keysSetup { s: "<ctl ~ ~ ~>", chan: 2, program: 4, cc7: 90, out: "midi" }

// Bass on channel 2 (`chan` counts from 0). Each note also sends CC 74 (brightness on most
// synths) from a slow triangle, so the filter opens and closes over two bars. MIDI
// velocity comes from `amp` (1 is 127), and the built-in synth reads the same `amp`.
play bass {
  degree: "0 ~ 0 [~ 0] . 2 ~ [3 4]",
  scale: minor, root: 2, octave: 3,
  chan: 1,
  cc74: tri.slow(2).range(30, 110),
  amp: "0.6 0.4 0.5 0.45",
  legato: 0.7,
  s: "bass",
  out: "midi",
}

// Electric piano on channel 3: a new seventh chord each bar, stabbed on a rotated 3-in-8.
play keys {
  degree: "<[0,2,4,6] [-2,0,2,4] [-3,-1,1,3] [-1,1,3,5]>(3,8,2)",
  scale: minor, root: 2, octave: 4,
  chan: 2,
  legato: 0.5,
  amp: 0.22,
  s: "pad",
  out: "midi",
}

// Drum names play General MIDI drum notes on channel 10 (bd 36, sn 38, hh 42), a drum
// machine's default. This player goes only to the JACK output.
play drums {
  s: "[bd [~ bd] sn ~, hh*8]",
  amp: "0.6 0.35 0.55 0.3",
  out: "jack-midi",
}

// An idea not ready for the room, sent only to the MIDI file: a lead whose notes are each
// bent a touch off pitch (`bend`, -1..1 of the synth's bend range), a wobbly tape feel.
play sketch {
  degree: "~ 4 . 7 [6 4]",
  scale: minor, root: 2, octave: 5,
  chan: 3,
  bend: white(-0.08, 0.08),
  s: "saw",
  amp: 0.15,
  out: "smf",
}
