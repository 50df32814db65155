//! The chumsky grammar: tokens (without comments) to a [`Module`].
//!
//! Recursion only happens through brackets (`recursive` below): prefix operators, `**`
//! and lambda heads are folded iteratively, so the stack depth of a parse is bounded by
//! the bracket depth, which [`super::depth_check`] limits before this runs.
//!
//! Semantic errors found while parsing (chained comparisons, overflowing numbers) are
//! raised as `Rich::custom` with a tagged message (see [`custom`]) so that they take part
//! in chumsky's backtracking; `super::report` turns them back into coded diagnostics.

use chumsky::error::{Cheap, LabelError};
use chumsky::input::ValueInput;
use chumsky::prelude::*;

use crate::ast::{Arg, BinaryOp, Expr, ExprKind, Ident, Item, ItemKind, Module, Setting, UnaryOp};
use crate::span::{FileId, Span, Spanned};
use crate::token::Token;

/// Errors the grammar can raise. The parse runs first with [`Cheap`] errors (no allocation
/// on the many failed alternatives of a successful parse), and only when that fails again
/// with [`Rich`] errors to explain what went wrong. (Not `EmptyErr`: chumsky's recovery
/// unwraps an error value that a zero-sized error type never stores.)
pub(super) trait GrammarError<'a, I: chumsky::input::Input<'a>>:
    chumsky::error::Error<'a, I> + LabelError<'a, I, &'static str> + 'a
{
    /// A custom error carrying its own message.
    fn tagged(span: SimpleSpan, text: String) -> Self;
}

impl<'a, I> GrammarError<'a, I> for Cheap<SimpleSpan>
where
    I: chumsky::input::Input<'a, Span = SimpleSpan>,
{
    fn tagged(span: SimpleSpan, _: String) -> Self {
        <Self as LabelError<'a, I, &'static str>>::expected_found(std::iter::empty(), None, span)
    }
}

impl<'a, I> GrammarError<'a, I> for Rich<'a, Token, SimpleSpan>
where
    I: chumsky::input::Input<'a, Token = Token, Span = SimpleSpan>,
{
    fn tagged(span: SimpleSpan, text: String) -> Self {
        Rich::custom(span, text)
    }
}

/// Separates the fields of a tagged custom error message.
pub(super) const TAG_SEP: char = '\u{1f}';

/// A custom error carrying our code, message, label text and help.
fn custom<'a, I: chumsky::input::Input<'a>, E: GrammarError<'a, I>>(
    span: SimpleSpan,
    code: &str,
    message: &str,
    label: &str,
    help: &str,
) -> E {
    E::tagged(
        span,
        format!("{code}{TAG_SEP}{message}{TAG_SEP}{label}{TAG_SEP}{help}"),
    )
}

/// Context labels (shown as "while parsing this …"); `super::report` matches on them.
pub(super) mod ctx {
    pub const RECORD: &str = "record";
    pub const LIST: &str = "list";
    pub const ARGS: &str = "argument list";
    pub const PARENS: &str = "parenthesised expression";
    pub const PARAMS: &str = "parameter list";
    pub const LET: &str = "`let` binding";
    pub const FN: &str = "function definition";
    pub const PLAY: &str = "`play` item";
    pub const SETTING: &str = "setting";
    pub const IMPORT: &str = "`import`";
    pub const NAMES: &str = "list of player names";
    pub const SCENE: &str = "`scene`";
    pub const ARRANGE: &str = "`arrange`";
    pub const LAUNCH: &str = "`launch`";
}

/// Expected-pattern labels; `super::report` matches on them.
pub(super) mod want {
    pub const EXPR: &str = "expression";
    pub const NAME: &str = "name";
    pub const KEY: &str = "record key";
    pub const ITEM: &str = "item";
    pub const OPERATOR: &str = "operator";
    pub const PATH: &str = "path string";
}

/// Tokens accepted as record keys, argument names and method names.
const NAME_LIKE: [Token; 23] = [
    Token::Ident,
    Token::Let,
    Token::Fn,
    Token::Play,
    Token::Stop,
    Token::Hush,
    Token::Mute,
    Token::Unmute,
    Token::Solo,
    Token::Unsolo,
    Token::Tempo,
    Token::Cycle,
    Token::Scale,
    Token::Root,
    Token::Seed,
    Token::Import,
    Token::Scene,
    Token::Arrange,
    Token::Groove,
    Token::Humanize,
    Token::True,
    Token::False,
    Token::Rest,
];

const BRACKETS: [Token; 6] = [
    Token::LParen,
    Token::RParen,
    Token::LBracket,
    Token::RBracket,
    Token::LBrace,
    Token::RBrace,
];

/// Tokens that start an item (where top-level recovery resumes).
pub(crate) const ITEM_KEYWORDS: [Token; 19] = [
    Token::Let,
    Token::Fn,
    Token::Play,
    Token::Stop,
    Token::Hush,
    Token::Mute,
    Token::Unmute,
    Token::Solo,
    Token::Unsolo,
    Token::Tempo,
    Token::Cycle,
    Token::Scale,
    Token::Root,
    Token::Seed,
    Token::Import,
    Token::Scene,
    Token::Arrange,
    Token::Groove,
    Token::Humanize,
];

/// Raw content of a string token (the parser also receives unterminated strings as `Str`,
/// already reported by the lexer, so the closing quote may be missing).
fn string_content(src: &str, span: SimpleSpan) -> String {
    let text = src.get(span.start..span.end).unwrap_or("");
    let text = text.strip_prefix('"').unwrap_or(text);
    text.strip_suffix('"').unwrap_or(text).to_string()
}

/// The whole-file parser.
pub(super) fn module<'a, I, E>(
    src: &'a str,
    file: FileId,
) -> impl Parser<'a, I, Module, extra::Err<E>>
where
    I: ValueInput<'a, Token = Token, Span = SimpleSpan>,
    E: GrammarError<'a, I>,
{
    let sp = move |s: SimpleSpan| Span::new(file, s.start, s.end);
    let text = move |s: SimpleSpan| src.get(s.start..s.end).unwrap_or("").to_string();

    let ident = just(Token::Ident)
        .map_with(move |_, e| Spanned::new(text(e.span()), sp(e.span())))
        .labelled(want::NAME);
    let name_like = one_of(NAME_LIKE)
        .map_with(move |_, e| Spanned::new(text(e.span()), sp(e.span())))
        .labelled(want::NAME);
    let string = just(Token::Str)
        .map_with(move |_, e| Spanned::new(string_content(src, e.span()), sp(e.span())));

    let expr = recursive(|expr| {
        let args = name_like
            .then_ignore(just(Token::Colon))
            .or_not()
            .then(expr.clone())
            .map(|(name, value)| Arg { name, value })
            .separated_by(just(Token::Comma))
            .allow_trailing()
            .collect::<Vec<_>>()
            .map(Some)
            .delimited_by(just(Token::LParen), just(Token::RParen))
            .labelled(ctx::ARGS)
            .as_context()
            .recover_with(via_parser(nested_delimiters(
                Token::LParen,
                Token::RParen,
                [
                    (Token::LBracket, Token::RBracket),
                    (Token::LBrace, Token::RBrace),
                ],
                |_| None,
            )))
            .boxed();

        let number = just(Token::Num).validate(move |_, e, emitter| {
            let span: SimpleSpan = e.span();
            let value: f64 = src
                .get(span.start..span.end)
                .and_then(|t| t.parse().ok())
                .unwrap_or(f64::INFINITY);
            if value.is_finite() {
                ExprKind::Num(value)
            } else {
                emitter.emit(custom::<I, E>(
                    span,
                    "E0117",
                    "this number is too large",
                    "it does not fit in a 64-bit float",
                    "numbers must lie within about ±1.8e308",
                ));
                ExprKind::Error
            }
        });

        let literal = choice((
            number,
            just(Token::Str).map_with(move |_, e| ExprKind::Str(string_content(src, e.span()))),
            just(Token::True).to(ExprKind::Bool(true)),
            just(Token::False).to(ExprKind::Bool(false)),
            just(Token::Rest).to(ExprKind::Rest),
            just(Token::Tilde).to(ExprKind::Rest),
            just(Token::Ident).map_with(move |_, e| ExprKind::Ident(text(e.span()))),
        ))
        .map_with(move |kind, e| Spanned::new(kind, sp(e.span())));

        let list = expr
            .clone()
            .separated_by(just(Token::Comma))
            .allow_trailing()
            .collect::<Vec<_>>()
            .map(ExprKind::List)
            .delimited_by(just(Token::LBracket), just(Token::RBracket))
            .labelled(ctx::LIST)
            .as_context()
            .map_with(move |kind, e| Spanned::new(kind, sp(e.span())))
            .recover_with(via_parser(nested_delimiters(
                Token::LBracket,
                Token::RBracket,
                [
                    (Token::LParen, Token::RParen),
                    (Token::LBrace, Token::RBrace),
                ],
                move |s| Spanned::new(ExprKind::Error, sp(s)),
            )));

        let key = name_like.or(string).labelled(want::KEY);
        let record = key
            .then_ignore(just(Token::Colon))
            .then(expr.clone())
            .separated_by(just(Token::Comma))
            .allow_trailing()
            .collect::<Vec<_>>()
            .map(ExprKind::Record)
            .delimited_by(just(Token::LBrace), just(Token::RBrace))
            .labelled(ctx::RECORD)
            .as_context()
            .map_with(move |kind, e| Spanned::new(kind, sp(e.span())))
            .recover_with(via_parser(nested_delimiters(
                Token::LBrace,
                Token::RBrace,
                [
                    (Token::LParen, Token::RParen),
                    (Token::LBracket, Token::RBracket),
                ],
                move |s| Spanned::new(ExprKind::Error, sp(s)),
            )));

        // The span of a parenthesised expression includes the parentheses.
        let parens = expr
            .clone()
            .delimited_by(just(Token::LParen), just(Token::RParen))
            .labelled(ctx::PARENS)
            .as_context()
            .map_with(move |inner: Expr, e| Spanned::new(inner.node, sp(e.span())))
            .recover_with(via_parser(nested_delimiters(
                Token::LParen,
                Token::RParen,
                [
                    (Token::LBracket, Token::RBracket),
                    (Token::LBrace, Token::RBrace),
                ],
                move |s| Spanned::new(ExprKind::Error, sp(s)),
            )));

        let atom = choice((literal, list, record, parens)).boxed();

        enum Postfix {
            Call(Option<Vec<Arg>>),
            Method(Ident, Option<Vec<Arg>>),
        }
        let postfix = choice((
            args.clone().map(Postfix::Call),
            just(Token::Dot)
                .ignore_then(name_like)
                .then(args.clone().or_not())
                .map(|(name, args)| Postfix::Method(name, args.unwrap_or(Some(Vec::new())))),
        ));
        let call = atom
            .foldl_with(postfix.repeated(), move |lhs: Expr, post, e| {
                let kind = match post {
                    Postfix::Call(Some(args)) => ExprKind::Call {
                        callee: Box::new(lhs),
                        args,
                    },
                    Postfix::Method(name, Some(args)) => ExprKind::Method {
                        receiver: Box::new(lhs),
                        name,
                        args,
                    },
                    // Broken argument lists were already reported.
                    Postfix::Call(None) | Postfix::Method(_, None) => ExprKind::Error,
                };
                Spanned::new(kind, sp(e.span()))
            })
            .boxed();

        let prefix = choice((
            just(Token::Minus).to(UnaryOp::Neg),
            just(Token::Bang).to(UnaryOp::Not),
        ))
        .map_with(move |op, e| (op, sp(e.span())));
        let unary = prefix
            .repeated()
            .foldr(call, |(op, span), expr: Expr| {
                let span = span.join(expr.span);
                Spanned::new(
                    ExprKind::Unary {
                        op,
                        expr: Box::new(expr),
                    },
                    span,
                )
            })
            .labelled(want::EXPR)
            .boxed();

        // All binary operators in one flat loop, then precedence climbing in `climb`: one
        // combinator level per operand instead of one per precedence level.
        let operator = choice((
            just(Token::OrOr).to(Op::Bin(BinaryOp::Or)),
            just(Token::AndAnd).to(Op::Bin(BinaryOp::And)),
            just(Token::EqEq).to(Op::Bin(BinaryOp::Eq)),
            just(Token::NotEq).to(Op::Bin(BinaryOp::Ne)),
            just(Token::Lt).to(Op::Bin(BinaryOp::Lt)),
            just(Token::Le).to(Op::Bin(BinaryOp::Le)),
            just(Token::Gt).to(Op::Bin(BinaryOp::Gt)),
            just(Token::Ge).to(Op::Bin(BinaryOp::Ge)),
            just(Token::DotDot).to(Op::Range),
            just(Token::Plus).to(Op::Bin(BinaryOp::Add)),
            just(Token::Minus).to(Op::Bin(BinaryOp::Sub)),
            just(Token::Star).to(Op::Bin(BinaryOp::Mul)),
            just(Token::Slash).to(Op::Bin(BinaryOp::Div)),
            just(Token::Percent).to(Op::Bin(BinaryOp::Mod)),
            just(Token::StarStar).to(Op::Bin(BinaryOp::Pow)),
        ))
        .labelled(want::OPERATOR)
        .map_with(|op, e| (op, e.span()));
        let or = unary
            .clone()
            .then(operator.then(unary).repeated().collect::<Vec<_>>())
            .validate(|(first, rest), _, emitter| {
                let mut chained = chain_errors(&rest);
                for (code, span) in chained.drain(..) {
                    emitter.emit(if code == "E0114" {
                        custom::<I, E>(
                            span,
                            "E0114",
                            "comparisons can't be chained",
                            "this second comparison is not allowed",
                            "combine two comparisons with `&&`, like `0 < x && x < 7`",
                        )
                    } else {
                        custom::<I, E>(
                            span,
                            "E0115",
                            "ranges can't be chained",
                            "this second `..` is not allowed",
                            "a range goes from one number to another, like `0..7`",
                        )
                    });
                }
                climb(first, rest)
            })
            .boxed();

        // `x =>`, `(a, b) =>`, `() =>`; tried before the body and backtracked if no `=>`.
        let lambda_head = choice((
            ident.map(|i| vec![i]),
            ident
                .separated_by(just(Token::Comma))
                .allow_trailing()
                .collect::<Vec<_>>()
                .delimited_by(just(Token::LParen), just(Token::RParen)),
        ))
        .then_ignore(just(Token::FatArrow))
        .map_with(move |params, e| (params, sp(e.span())));

        lambda_head
            .repeated()
            .foldr(or, |(params, span), body: Expr| {
                let span = span.join(body.span);
                Spanned::new(
                    ExprKind::Lambda {
                        params,
                        body: Box::new(body),
                    },
                    span,
                )
            })
            .labelled(want::EXPR)
    });

    let names = |at_least: usize| {
        ident
            .separated_by(just(Token::Comma))
            .allow_trailing()
            .at_least(at_least)
            .collect::<Vec<_>>()
            .labelled(ctx::NAMES)
    };

    let let_ = just(Token::Let)
        .ignore_then(ident)
        .then_ignore(just(Token::Assign))
        .then(expr.clone())
        .map(|(name, value)| ItemKind::Let { name, value })
        .labelled(ctx::LET)
        .as_context();

    let params = ident
        .separated_by(just(Token::Comma))
        .allow_trailing()
        .collect::<Vec<_>>()
        .delimited_by(just(Token::LParen), just(Token::RParen))
        .labelled(ctx::PARAMS)
        .as_context();
    let fn_ = just(Token::Fn)
        .ignore_then(ident)
        .then(params)
        .then_ignore(just(Token::Assign))
        .then(expr.clone())
        .map(|((name, params), body)| ItemKind::Fn { name, params, body })
        .labelled(ctx::FN)
        .as_context();

    let play = just(Token::Play)
        .ignore_then(ident)
        .then(expr.clone())
        .map(|(name, body)| ItemKind::Play { name, body })
        .labelled(ctx::PLAY)
        .as_context();

    let setting = choice((
        just(Token::Tempo).to(Setting::Tempo),
        just(Token::Cycle).to(Setting::Cycle),
        just(Token::Scale).to(Setting::Scale),
        just(Token::Root).to(Setting::Root),
        just(Token::Seed).to(Setting::Seed),
        just(Token::Groove).to(Setting::Groove),
        just(Token::Humanize).to(Setting::Humanize),
    ))
    .then(expr.clone())
    .map(|(setting, value)| ItemKind::Setting { setting, value })
    .labelled(ctx::SETTING)
    .as_context();

    // Inside a scene: its players and settings, nothing else.
    let scene_item = choice((play.clone(), setting.clone()))
        .map_with(move |kind, e| Item::new(kind, sp(e.span())))
        .then_ignore(just(Token::Semi).repeated());
    let scene = just(Token::Scene)
        .ignore_then(ident)
        .then(ident.or_not())
        .then(
            just(Token::Semi)
                .repeated()
                .ignore_then(scene_item.repeated().collect::<Vec<_>>())
                .delimited_by(just(Token::LBrace), just(Token::RBrace)),
        )
        .map(|((name, flag), items)| ItemKind::Scene { name, flag, items })
        .labelled(ctx::SCENE)
        .as_context();

    // `loop` is a flag only when a scene name follows it, so a scene may still be named
    // `loop` (`arrange loop 4`).
    let loop_flag = ident
        .filter(|i: &Ident| i.node == "loop")
        .then_ignore(ident.rewind());
    let arrange = just(Token::Arrange)
        .ignore_then(loop_flag.or_not().map(|f| f.is_some()))
        .then(
            ident
                .then(expr.clone())
                .separated_by(just(Token::Comma))
                .at_least(1)
                .collect::<Vec<_>>(),
        )
        .map(|(looped, sections)| ItemKind::Arrange { looped, sections })
        .labelled(ctx::ARRANGE)
        .as_context();

    // `launch` and its words `on` and `quant` are plain names, not keywords: an item never
    // starts with a name otherwise, so nothing that parsed before changes meaning.
    // `select` (unlike `filter`) reports a mismatch where the name starts, so a stray name
    // at the start of an item still reads as "expected an item".
    let word = move |w: &'static str| {
        chumsky::primitive::select(move |t: Token, e| {
            let at: SimpleSpan = e.span();
            (t == Token::Ident && src.get(at.start..at.end) == Some(w)).then_some(())
        })
    };
    let scene_names = choice((
        ident
            .separated_by(just(Token::Comma))
            .allow_trailing()
            .at_least(1)
            .collect::<Vec<_>>()
            .delimited_by(just(Token::LBracket), just(Token::RBracket))
            .map(|names| (names, true)),
        ident.map(|name| (vec![name], false)),
    ));
    let launch = word("launch")
        .ignore_then(scene_names)
        .then(word("on").ignore_then(expr.clone()).or_not())
        .then(
            just(Token::Comma)
                .or_not()
                .ignore_then(word("quant"))
                .ignore_then(just(Token::Colon))
                .ignore_then(expr.clone())
                .or_not(),
        )
        .map(|(((scenes, list), on), quant)| ItemKind::Launch {
            scenes,
            list,
            on,
            quant,
        })
        .labelled(ctx::LAUNCH)
        .as_context();

    let import = just(Token::Import)
        .ignore_then(string.labelled(want::PATH))
        .map(|path| ItemKind::Import { path })
        .labelled(ctx::IMPORT)
        .as_context();

    let commands = choice((
        just(Token::Stop).ignore_then(names(1)).map(ItemKind::Stop),
        just(Token::Hush).to(ItemKind::Hush),
        just(Token::Mute).ignore_then(names(1)).map(ItemKind::Mute),
        just(Token::Unmute)
            .ignore_then(names(1))
            .map(ItemKind::Unmute),
        just(Token::Solo).ignore_then(names(1)).map(ItemKind::Solo),
        just(Token::Unsolo)
            .ignore_then(names(0))
            .map(ItemKind::Unsolo),
    ));

    // Recovery at the top level skips to the next item keyword, stepping over bracketed
    // groups whole (keywords are also record keys); an unclosed group runs to the end, and
    // a badly nested bracket is skipped like any other token.
    let group = recursive(|group| {
        let inner = choice((group, none_of(BRACKETS).ignored())).repeated();
        let close = |t: Token| just(t).ignored().or(end());
        choice((
            inner
                .clone()
                .delimited_by(just(Token::LParen), close(Token::RParen)),
            inner
                .clone()
                .delimited_by(just(Token::LBracket), close(Token::RBracket)),
            inner.delimited_by(just(Token::LBrace), close(Token::RBrace)),
        ))
    });
    let skip_item = choice((group.clone(), any().ignored()))
        .then(choice((group, none_of(ITEM_KEYWORDS).ignored())).repeated())
        .map_with(move |_, e| Spanned::new(ItemKind::Error, sp(e.span())));

    let item = choice((
        let_, fn_, play, setting, scene, arrange, launch, import, commands,
    ))
    .labelled(want::ITEM)
    .map_with(move |kind, e| Item::new(kind, sp(e.span())))
    .recover_with(via_parser(skip_item))
    .then_ignore(just(Token::Semi).repeated());

    just(Token::Semi)
        .repeated()
        .ignore_then(item.repeated().collect::<Vec<_>>())
        .then_ignore(end())
        .map(|items| Module { items })
}

/// A binary operator as the flat operator loop sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    Bin(BinaryOp),
    Range,
}

impl Op {
    /// Binding strength, low to high: `||`, `&&`, comparisons, `..`, `+ -`, `* / %`, `**`.
    fn precedence(self) -> u8 {
        use BinaryOp::*;
        match self {
            Op::Bin(Or) => 1,
            Op::Bin(And) => 2,
            Op::Bin(Eq | Ne | Lt | Le | Gt | Ge) => 3,
            Op::Range => 4,
            Op::Bin(Add | Sub) => 5,
            Op::Bin(Mul | Div | Mod) => 6,
            Op::Bin(Pow) => 7,
        }
    }

    fn right_assoc(self) -> bool {
        self == Op::Bin(BinaryOp::Pow)
    }

    fn build(self, lhs: Expr, rhs: Expr) -> Expr {
        match self {
            Op::Bin(op) => binary(op, lhs, rhs),
            Op::Range => {
                let span = lhs.span.join(rhs.span);
                Spanned::new(
                    ExprKind::Range {
                        from: Box::new(lhs),
                        to: Box::new(rhs),
                    },
                    span,
                )
            }
        }
    }
}

/// Comparisons and ranges do not associate: a second one at the same level (not separated
/// by a looser operator such as `&&`) is an error. Returns (code, operator span), at most
/// one per kind.
fn chain_errors(rest: &[((Op, SimpleSpan), Expr)]) -> Vec<(&'static str, SimpleSpan)> {
    let mut errors = Vec::new();
    let (mut cmp_seen, mut range_seen) = (false, false);
    let (mut cmp_reported, mut range_reported) = (false, false);
    for ((op, span), _) in rest {
        let p = op.precedence();
        if p < 3 {
            cmp_seen = false;
        }
        if p < 4 {
            range_seen = false;
        }
        if p == 3 {
            if cmp_seen && !cmp_reported {
                errors.push(("E0114", *span));
                cmp_reported = true;
            }
            cmp_seen = true;
        } else if p == 4 {
            if range_seen && !range_reported {
                errors.push(("E0115", *span));
                range_reported = true;
            }
            range_seen = true;
        }
    }
    errors
}

/// Precedence climbing over `first (op operand)*` with an operator stack: linear time and
/// no recursion, however long the chain.
fn climb(first: Expr, rest: Vec<((Op, SimpleSpan), Expr)>) -> Expr {
    let mut operands: Vec<Expr> = vec![first];
    let mut ops: Vec<Op> = Vec::new();
    let reduce = |operands: &mut Vec<Expr>, op: Op| {
        if let (Some(rhs), Some(lhs)) = (operands.pop(), operands.pop()) {
            operands.push(op.build(lhs, rhs));
        }
    };
    for ((op, _), rhs) in rest {
        while let Some(&top) = ops.last() {
            let tighter = top.precedence() > op.precedence()
                || (top.precedence() == op.precedence() && !op.right_assoc());
            if !tighter {
                break;
            }
            ops.pop();
            reduce(&mut operands, top);
        }
        ops.push(op);
        operands.push(rhs);
    }
    while let Some(top) = ops.pop() {
        reduce(&mut operands, top);
    }
    // Exactly one operand remains: each reduction turns two into one.
    operands
        .pop()
        .unwrap_or_else(|| Spanned::new(ExprKind::Error, Span::default()))
}

fn binary(op: BinaryOp, lhs: Expr, rhs: Expr) -> Expr {
    let span = lhs.span.join(rhs.span);
    Spanned::new(
        ExprKind::Binary {
            op,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
        },
        span,
    )
}
