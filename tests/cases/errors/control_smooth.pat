// A glide time is from 0 to 1024 beats.
play a { amp: cc(74, smooth: -1), dur: 1 }
