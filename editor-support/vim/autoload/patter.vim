" patter's Vim/Neovim bridge: runs `patter send - --json` with the code on standard input
" and turns the reply's diagnostics into quickfix entries. Works in Vim 8+ and Neovim.

function! s:command(doc) abort
  let cmd = [get(g:, 'patter_command', 'patter'), 'send', '-', '--json', '--doc', a:doc]
  let addr = get(g:, 'patter_connect', '')
  if addr !=# ''
    call extend(cmd, ['--connect', addr])
  endif
  return join(map(cmd, 'shellescape(v:val)'), ' ')
endfunction

" The paragraph around a line: up to the blank lines before and after it.
function! patter#paragraph(lnum) abort
  let first = a:lnum
  while first > 1 && getline(first - 1) !~# '^\s*$'
    let first -= 1
  endwhile
  let last = a:lnum
  while last < line('$') && getline(last + 1) !~# '^\s*$'
    let last += 1
  endwhile
  return [first, last]
endfunction

" Quickfix items from an eval reply; `first` is the buffer line of the text's first line.
function! patter#qf_items(reply, first, bufnr) abort
  let items = []
  for d in get(a:reply, 'diagnostics', [])
    let text = d.code . ': ' . d.message
    let labels = get(d, 'labels', [])
    let item = {'type': d.severity ==# 'error' ? 'E' : 'W', 'text': text, 'bufnr': a:bufnr, 'lnum': a:first, 'col': 1}
    if !empty(labels)
      let l = labels[0]
      if l.file ==# get(a:reply, 'doc', '')
        let item.lnum = a:first + l.line - 1
        let item.col = l.col
      else
        " A label in an imported file.
        unlet item.bufnr
        let item.filename = l.file
        let item.lnum = l.line
        let item.col = l.col
      endif
      if get(l, 'message', '') !=# ''
        let item.text .= ' — ' . l.message
      endif
    endif
    if type(get(d, 'help', v:null)) == v:t_string
      let item.text .= ' (help: ' . d.help . ')'
    endif
    call add(items, item)
  endfor
  return items
endfunction

function! s:summary(reply) abort
  let changes = filter(copy(get(a:reply, 'changes', [])), 'v:val.change !=# "unchanged"')
  if empty(changes)
    return 'patter: ok, nothing changed'
  endif
  return 'patter: ok — ' . join(map(changes, 'v:val.player . " " . v:val.change . (type(v:val.beat) == v:t_number || type(v:val.beat) == v:t_float ? " at beat " . string(v:val.beat) : "")'), ', ')
endfunction

" Send `lines` (the buffer's lines from `first`) as document `doc`; returns the reply.
function! patter#send_lines(lines, first, doc) abort
  let out = system(s:command(a:doc), join(a:lines, "\n") . "\n")
  try
    let reply = json_decode(split(out, "\n")[-1])
  catch
    echohl ErrorMsg | echomsg 'patter: no reply from `patter send`: ' . out | echohl None
    return {}
  endtry
  if get(reply, 'reply', '') ==# 'error'
    echohl ErrorMsg | echomsg 'patter: ' . get(reply, 'message', 'error') | echohl None
    return reply
  endif
  let items = patter#qf_items(reply, a:first, bufnr('%'))
  call setqflist([], 'r', {'title': 'patter send', 'items': items})
  if get(reply, 'ok', v:false)
    if empty(items) | cclose | endif
    echomsg s:summary(reply)
  else
    if get(g:, 'patter_quickfix', 1) | copen | wincmd p | endif
    echohl WarningMsg | echomsg printf('patter: %d error(s); nothing that plays has changed', get(reply, 'errors', 0)) | echohl None
  endif
  return reply
endfunction

function! patter#send_range(range, line1, line2) abort
  let [first, last] = a:range > 0 ? [a:line1, a:line2] : patter#paragraph(line('.'))
  return patter#send_lines(getline(first, last), first, 'repl')
endfunction

function! patter#send_file() abort
  let doc = expand('%:p')
  if doc ==# ''
    let doc = 'repl'
  endif
  return patter#send_lines(getline(1, '$'), 1, doc)
endfunction
