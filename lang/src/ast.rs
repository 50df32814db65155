//! The syntax tree. Every node carries its span; `Error` nodes stand where the parser
//! recovered, so later stages can skip them without reporting twice.

use crate::span::Spanned;

/// An identifier with its span.
pub type Ident = Spanned<String>;

/// A whole source file.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Module {
    /// Top-level items in order.
    pub items: Vec<Item>,
}

/// A top-level item.
pub type Item = Spanned<ItemKind>;

/// Global settings: `tempo 120`, `cycle 4`, `scale dorian`, `root 2`, `seed 7`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Setting {
    /// Beats per minute.
    Tempo,
    /// Beats per cycle.
    Cycle,
    /// Default scale of every player.
    Scale,
    /// Default root of every player.
    Root,
    /// Program seed.
    Seed,
    /// Default groove template of every player (`groove swing8`).
    Groove,
    /// Default humanize of every player (`humanize 0.02`).
    Humanize,
}

/// Top-level items.
#[derive(Clone, Debug, PartialEq)]
pub enum ItemKind {
    /// `let NAME = EXPR`
    Let {
        /// Bound name.
        name: Ident,
        /// Value.
        value: Expr,
    },
    /// `fn NAME(PARAMS) = EXPR`
    Fn {
        /// Function name.
        name: Ident,
        /// Parameter names.
        params: Vec<Ident>,
        /// Body.
        body: Expr,
    },
    /// `play NAME EXPR` (usually `play NAME { key: value, … }`).
    Play {
        /// Player name.
        name: Ident,
        /// What it plays.
        body: Expr,
    },
    /// `stop a, b`
    Stop(Vec<Ident>),
    /// `hush`: stop every player.
    Hush,
    /// `mute a, b`
    Mute(Vec<Ident>),
    /// `unmute a, b`
    Unmute(Vec<Ident>),
    /// `solo a, b`
    Solo(Vec<Ident>),
    /// `unsolo` (all) or `unsolo a, b`
    Unsolo(Vec<Ident>),
    /// `tempo 120`, `cycle 4`, …
    Setting {
        /// Which setting.
        setting: Setting,
        /// Its value.
        value: Expr,
    },
    /// `import "path.pat"` (or `import "std/scales"`).
    Import {
        /// The path as written, without quotes.
        path: Spanned<String>,
    },
    /// `scene NAME [keep] { items }`: players (and settings) launched together.
    Scene {
        /// Scene name.
        name: Ident,
        /// The word between the name and the brace, if any (only `keep` is valid).
        flag: Option<Ident>,
        /// The items inside the braces.
        items: Vec<Item>,
    },
    /// `arrange [loop] NAME BARS, …`: a timeline of scenes.
    Arrange {
        /// `loop` was given.
        looped: bool,
        /// Scene names with their lengths in bars.
        sections: Vec<(Ident, Expr)>,
    },
    /// `launch NAME [on TRIGGER] [[,] quant: BEATS]` or `launch [A, B, …] on TRIGGER …`:
    /// scenes launched by a trigger (or once, at the start, without `on`). `launch` is not
    /// reserved: it is a word that starts an item only here.
    Launch {
        /// The scenes: one, or a list stepped through on each firing.
        scenes: Vec<Ident>,
        /// The scenes were written as a list (`[A, B]`).
        list: bool,
        /// The trigger (`on TRIGGER`).
        on: Option<Expr>,
        /// `quant: BEATS`.
        quant: Option<Expr>,
    },
    /// Where the parser recovered from an error.
    Error,
}

/// An expression.
pub type Expr = Spanned<ExprKind>;

/// Binary operators in expressions (precedence low → high: `||`, `&&`, comparisons, `..`,
/// `+ -`, `* / %`, `**`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// `||`
    Or,
    /// `&&`
    And,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Mod,
    /// `**`
    Pow,
}

/// Unary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `-x`
    Neg,
    /// `!x`
    Not,
}

/// A call argument, positional or named (`seq([1, 2], repeats: 4)`).
#[derive(Clone, Debug, PartialEq)]
pub struct Arg {
    /// `name:` if given.
    pub name: Option<Ident>,
    /// The value.
    pub value: Expr,
}

/// Expressions.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// A number literal.
    Num(f64),
    /// A double-quoted string: mini-notation. The text is the raw content between the
    /// quotes; it starts one byte after the expression's span start.
    Str(String),
    /// `true` / `false`.
    Bool(bool),
    /// `rest` (or `~` as an expression): a silent event.
    Rest,
    /// A name.
    Ident(String),
    /// `[a, b, c]`: a list (a chord where a single value is expected).
    List(Vec<Expr>),
    /// `{ key: value, … }`: a Pbind record.
    Record(Vec<(Ident, Expr)>),
    /// `f(args)`
    Call {
        /// What is called.
        callee: Box<Expr>,
        /// Arguments.
        args: Vec<Arg>,
    },
    /// `x.f(args)` or `x.f`: the receiver goes into the function's subject slot.
    Method {
        /// The receiver.
        receiver: Box<Expr>,
        /// Method name.
        name: Ident,
        /// Arguments (empty for `x.f`).
        args: Vec<Arg>,
    },
    /// `a OP b`
    Binary {
        /// Operator.
        op: BinaryOp,
        /// Left.
        lhs: Box<Expr>,
        /// Right.
        rhs: Box<Expr>,
    },
    /// `OP a`
    Unary {
        /// Operator.
        op: UnaryOp,
        /// Operand.
        expr: Box<Expr>,
    },
    /// `a..b`: inclusive integer range (a list).
    Range {
        /// From.
        from: Box<Expr>,
        /// To.
        to: Box<Expr>,
    },
    /// `x => body` or `(a, b) => body`
    Lambda {
        /// Parameters.
        params: Vec<Ident>,
        /// Body.
        body: Box<Expr>,
    },
    /// Where the parser recovered from an error.
    Error,
}
