" patter source files.
autocmd BufNewFile,BufRead *.pat setfiletype patter
