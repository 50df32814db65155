" patter: send code to a running engine (`patter serve`) and read its diagnostics.
"   :PatterSend          the paragraph under the cursor (as a REPL block)
"   :'<,'>PatterSend     the selected lines (as a REPL block)
"   :PatterSendFile      the whole buffer, as the file's own document (it replaces what
"                        the file played before)
" Errors and warnings go to the quickfix list. Settings:
"   g:patter_command     the patter binary (default 'patter')
"   g:patter_connect     the engine's address (default: patter's own, 127.0.0.1:57140)
"   g:patter_quickfix    open the quickfix window on errors (default 1)
if exists('g:loaded_patter')
  finish
endif
let g:loaded_patter = 1

command! -range -bar PatterSend call patter#send_range(<range>, <line1>, <line2>)
command! -bar PatterSendFile call patter#send_file()
