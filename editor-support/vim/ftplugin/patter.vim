" Vim filetype plugin for patter: comments, indentation, and the send mappings.
if exists('b:did_ftplugin')
  finish
endif
let b:did_ftplugin = 1

setlocal commentstring=//\ %s
setlocal comments=s1:/*,mb:*,ex:*/,://
setlocal formatoptions-=t formatoptions+=croql
setlocal shiftwidth=2 softtabstop=2 expandtab
setlocal suffixesadd=.pat
setlocal matchpairs+=<:>

" Send the paragraph (normal), the selection (visual) or the file, as in vim-tidal.
if !exists('g:patter_no_mappings') || !g:patter_no_mappings
  nnoremap <buffer> <silent> <C-e> :PatterSend<CR>
  xnoremap <buffer> <silent> <C-e> :PatterSend<CR>
  nnoremap <buffer> <silent> <LocalLeader>f :PatterSendFile<CR>
endif

let b:undo_ftplugin = 'setlocal commentstring< comments< formatoptions< shiftwidth< softtabstop< expandtab< suffixesadd< matchpairs<'
      \ . ' | silent! nunmap <buffer> <C-e> | silent! xunmap <buffer> <C-e> | silent! nunmap <buffer> <LocalLeader>f'
