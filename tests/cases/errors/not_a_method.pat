play a { s: "bd".sine }
