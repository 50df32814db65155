" Vim syntax file
" Language:    patter (live-coding music patterns; TidalCycles mini-notation in strings)
" Files:       *.pat
" Tested by tests/tests/editor_grammars.rs against patter's own lexer on every example.

if exists('b:current_syntax')
  finish
endif

let s:cpo_save = &cpo
set cpo&vim

" Names are matched as a whole, so keywords inside longer names (letter, replay) stay plain.
syn iskeyword @,48-57,_

" Among matches starting at one place the last defined wins: plain names, calls, builtins,
" definitions, keywords, then record keys, all as matches (not :syn keyword, which would
" always win) so that a key written like a keyword or a builtin ({ scale: dorian, n: 1 })
" is a key.
syn match patterName      "\<\h\w*\>"
syn match patterCall      "\<\h\w*\ze\s*("
syn match patterMethod    "\(\.\s*\)\@<=\h\w*"
syn match patterBuiltin   "\<\(fast\|slow\|early\|late\|shift\|rev\|every\|whenmod\|sometimesBy\|sometimes\|often\|rarely\|almostNever\|almostAlways\|always\|never\|degrade\|degradeBy\|unDegradeBy\|iter\|iterBack\|palindrome\|ply\|chunk\|within\|off\|superimpose\|stut\|echo\|stack\|cat\|slowcat\|fastcat\|struct\|mask\|segment\|range\|arp\|euclid\|period\|sine\|cosine\|tri\|saw\|isaw\|square\|perlin\|rand\|seq\|Pseq\|Prand\|choose\|xrand\|Pxrand\|shuf\|Pshuf\|wrand\|Pwrand\|white\|Pwhite\|exprand\|Pexprand\|brown\|Pbrown\|series\|Pseries\|geom\|Pgeom\|n\|Pn\|ppar\|Ppar\|ptpar\|Ptpar\|chance\|integrate\|charge\|count\|onsets\|share\|step\|timer\|cc\|held\|switch\|toggle\|notes\|press\)\>"
syn match patterFuncName  "\(\<fn\s\+\)\@<=\h\w*"
syn match patterPlayer    "\(\<\(play\|scene\)\s\+\)\@<=\h\w*\>\(\s*:\)\@!"
syn match patterDeclare   "\<\(let\|fn\)\>"
syn match patterImport    "\<import\>"
syn match patterStatement "\<\(play\|stop\|hush\|mute\|unmute\|solo\|unsolo\|scene\|arrange\)\>"
syn match patterSetting   "\<\(tempo\|cycle\|scale\|root\|seed\|groove\|humanize\)\>"
syn match patterBoolean   "\<\(true\|false\)\>"
syn match patterRest      "\<rest\>"
syn match patterKey       "\<\h\w*\ze\s*:"

syn match patterNumber    "\(\w\)\@<!\d\+\(\.\d\+\)\=\([eE][+-]\=\d\+\)\="
syn match patterDelimiter "[][(){},;:.]"
syn match patterOperator  "=>\|==\|!=\|<=\|>=\|&&\|||\|\*\*\|\.\.\|[-+*/%<>=!~]"

" Strings are TidalCycles mini-notation.
syn region patterString matchgroup=patterQuote start=+"+ end=+"+ contains=@patterMini
" An import names a file: no mini-notation inside.
syn region patterPath matchgroup=patterQuote start=+\(\<import\s*\)\@<="+ end=+"+

syn cluster patterMini contains=patterMiniWord,patterMiniNote,patterMiniNumber,patterMiniRest,patterMiniOperator,patterMiniBracket
syn match patterMiniWord     contained "\a[[:alnum:]_#-]*"
syn match patterMiniNote     contained "\([[:alnum:]#.'-]\)\@<![a-gA-G]\(s\|f\|n\|#\|b\)*\d*\([[:alnum:]_#-]\)\@!"
syn match patterMiniNumber   contained "\([[:alnum:]_#.]\)\@<!-\=\d\+\(\.\d\+\)\=\([eE]-\=\d\+\)\=\([[:alnum:]_#]\)\@!"
syn match patterMiniOperator contained "[*/!@?|%.:',]"
syn match patterMiniBracket  contained "[][<>{}()]"
syn match patterMiniRest     contained "\~\|\([[:alnum:]_.-]\)\@<!-\([[:alnum:]_.]\)\@!\|\([[:alnum:]_]\)\@<!_\([[:alnum:]_]\)\@!"

syn keyword patterTodo contained TODO FIXME XXX NOTE
syn match patterLineComment "//.*$" contains=patterTodo,@Spell
syn region patterBlockComment start="/\*" end="\*/" contains=patterBlockComment,patterTodo,@Spell

" Multi-line strings and nested comments need the whole file; .pat files are short.
syn sync fromstart

hi def link patterDeclare      Keyword
hi def link patterImport       Include
hi def link patterStatement    Statement
hi def link patterSetting      Keyword
hi def link patterBoolean      Boolean
hi def link patterRest         Constant
hi def link patterBuiltin      Function
hi def link patterFuncName     Function
hi def link patterCall         Function
hi def link patterMethod       Function
hi def link patterPlayer       Type
hi def link patterKey          Identifier
hi def link patterNumber       Number
hi def link patterOperator     Operator
hi def link patterDelimiter    Delimiter
hi def link patterString       String
hi def link patterQuote        String
hi def link patterPath         String
hi def link patterMiniWord     String
hi def link patterMiniNote     Constant
hi def link patterMiniNumber   Number
hi def link patterMiniRest     Special
hi def link patterMiniOperator Operator
hi def link patterMiniBracket  Delimiter
hi def link patterLineComment  Comment
hi def link patterBlockComment Comment
hi def link patterTodo         Todo

let b:current_syntax = 'patter'

let &cpo = s:cpo_save
unlet s:cpo_save
