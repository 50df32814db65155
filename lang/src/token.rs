//! Tokens (logos).
//!
//! The lexer never fails: a character that starts no token becomes [`Token::Error`], an
//! unterminated string or block comment becomes its own token that runs to the end of the
//! input. The parser reports those (once each); the REPL uses [`lex`] and [`Token::kind`]
//! for syntax highlighting, so comments are tokens here and are filtered out by the parser.

use logos::Logos;
use std::fmt;
use std::ops::Range;

/// One token. Tokens carry no text: slice the source with the token's range.
#[derive(Logos, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[logos(skip r"[ \t\r\n\f]+")]
pub enum Token {
    /// `let`
    #[token("let")]
    Let,
    /// `fn`
    #[token("fn")]
    Fn,
    /// `play`
    #[token("play")]
    Play,
    /// `stop`
    #[token("stop")]
    Stop,
    /// `hush`
    #[token("hush")]
    Hush,
    /// `mute`
    #[token("mute")]
    Mute,
    /// `unmute`
    #[token("unmute")]
    Unmute,
    /// `solo`
    #[token("solo")]
    Solo,
    /// `unsolo`
    #[token("unsolo")]
    Unsolo,
    /// `tempo`
    #[token("tempo")]
    Tempo,
    /// `cycle`
    #[token("cycle")]
    Cycle,
    /// `scale`
    #[token("scale")]
    Scale,
    /// `root`
    #[token("root")]
    Root,
    /// `seed`
    #[token("seed")]
    Seed,
    /// `import`
    #[token("import")]
    Import,
    /// `scene`
    #[token("scene")]
    Scene,
    /// `arrange`
    #[token("arrange")]
    Arrange,
    /// `groove`
    #[token("groove")]
    Groove,
    /// `humanize`
    #[token("humanize")]
    Humanize,
    /// `true`
    #[token("true")]
    True,
    /// `false`
    #[token("false")]
    False,
    /// `rest`
    #[token("rest")]
    Rest,

    /// A name.
    #[regex(r"[A-Za-z_][A-Za-z0-9_]*")]
    Ident,
    /// A number literal: `12`, `0.5`, `1e3`, `2.5e-2`.
    #[regex(r"[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")]
    Num,
    /// A closed string `"…"` (the range includes the quotes).
    #[regex(r#""[^"]*""#)]
    Str,
    /// A string without its closing quote; runs to the end of the input.
    #[regex(r#""[^"]*"#)]
    UnterminatedStr,
    /// `// …`
    #[regex(r"//[^\n]*", allow_greedy = true)]
    LineComment,
    /// `/* … */` (nests); see [`Token::UnterminatedComment`] for the unclosed case.
    #[token("/*", block_comment)]
    BlockComment,
    /// A block comment without its closing `*/`; runs to the end of the input.
    UnterminatedComment,

    /// `(`
    #[token("(")]
    LParen,
    /// `)`
    #[token(")")]
    RParen,
    /// `[`
    #[token("[")]
    LBracket,
    /// `]`
    #[token("]")]
    RBracket,
    /// `{`
    #[token("{")]
    LBrace,
    /// `}`
    #[token("}")]
    RBrace,
    /// `,`
    #[token(",")]
    Comma,
    /// `:`
    #[token(":")]
    Colon,
    /// `;`
    #[token(";")]
    Semi,
    /// `.`
    #[token(".")]
    Dot,
    /// `~` (a rest)
    #[token("~")]
    Tilde,

    /// `=>`
    #[token("=>")]
    FatArrow,
    /// `=`
    #[token("=")]
    Assign,
    /// `==`
    #[token("==")]
    EqEq,
    /// `!=`
    #[token("!=")]
    NotEq,
    /// `<`
    #[token("<")]
    Lt,
    /// `<=`
    #[token("<=")]
    Le,
    /// `>`
    #[token(">")]
    Gt,
    /// `>=`
    #[token(">=")]
    Ge,
    /// `..`
    #[token("..")]
    DotDot,
    /// `+`
    #[token("+")]
    Plus,
    /// `-`
    #[token("-")]
    Minus,
    /// `*`
    #[token("*")]
    Star,
    /// `/`
    #[token("/")]
    Slash,
    /// `%`
    #[token("%")]
    Percent,
    /// `**`
    #[token("**")]
    StarStar,
    /// `!`
    #[token("!")]
    Bang,
    /// `&&`
    #[token("&&")]
    AndAnd,
    /// `||`
    #[token("||")]
    OrOr,

    /// A character that starts no token.
    Error,
}

/// Scan a (nesting) block comment after its opening `/*`.
fn block_comment(lex: &mut logos::Lexer<Token>) -> Token {
    let rest = lex.remainder().as_bytes();
    let mut depth = 1usize;
    let mut i = 0;
    while i < rest.len() {
        match (rest.get(i), rest.get(i + 1)) {
            (Some(b'/'), Some(b'*')) => {
                depth += 1;
                i += 2;
            }
            (Some(b'*'), Some(b'/')) => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    lex.bump(i);
                    return Token::BlockComment;
                }
            }
            _ => i += 1,
        }
    }
    // Only ASCII bytes were matched, so the end of input is a char boundary.
    lex.bump(rest.len());
    Token::UnterminatedComment
}

/// What a token is, for syntax highlighting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// `let`, `play`, `true`, …
    Keyword,
    /// Number literals.
    Number,
    /// Strings (mini-notation).
    String,
    /// Line and block comments.
    Comment,
    /// `+`, `=>`, `..`, …
    Operator,
    /// Names.
    Ident,
    /// Brackets, `,`, `:`, `;`, `.`.
    Punctuation,
    /// Unknown characters, unterminated strings and comments.
    Error,
}

impl Token {
    /// The highlighting category.
    pub fn kind(self) -> TokenKind {
        use Token::*;
        match self {
            Let | Fn | Play | Stop | Hush | Mute | Unmute | Solo | Unsolo | Tempo | Cycle
            | Scale | Root | Seed | Import | Scene | Arrange | Groove | Humanize | True | False
            | Rest => TokenKind::Keyword,
            Ident => TokenKind::Ident,
            Num => TokenKind::Number,
            Str => TokenKind::String,
            LineComment | BlockComment => TokenKind::Comment,
            LParen | RParen | LBracket | RBracket | LBrace | RBrace | Comma | Colon | Semi
            | Dot => TokenKind::Punctuation,
            Tilde | FatArrow | Assign | EqEq | NotEq | Lt | Le | Gt | Ge | DotDot | Plus
            | Minus | Star | Slash | Percent | StarStar | Bang | AndAnd | OrOr => {
                TokenKind::Operator
            }
            UnterminatedStr | UnterminatedComment | Error => TokenKind::Error,
        }
    }

    /// True for the keywords that start an item (`let`, `play`, `tempo`, …).
    pub fn starts_item(self) -> bool {
        use Token::*;
        matches!(
            self,
            Let | Fn
                | Play
                | Stop
                | Hush
                | Mute
                | Unmute
                | Solo
                | Unsolo
                | Tempo
                | Cycle
                | Scale
                | Root
                | Seed
                | Import
                | Scene
                | Arrange
                | Groove
                | Humanize
        )
    }

    /// True for tokens that may stand where a name is expected in a record key, a named
    /// argument or a method (keywords included: `{ scale: dorian }`, `p.seed(3)`).
    pub fn is_name_like(self) -> bool {
        self == Token::Ident || self.kind() == TokenKind::Keyword
    }

    /// How the token is written, for messages.
    pub fn describe(self) -> &'static str {
        use Token::*;
        match self {
            Let => "let",
            Fn => "fn",
            Play => "play",
            Stop => "stop",
            Hush => "hush",
            Mute => "mute",
            Unmute => "unmute",
            Solo => "solo",
            Unsolo => "unsolo",
            Tempo => "tempo",
            Cycle => "cycle",
            Scale => "scale",
            Root => "root",
            Seed => "seed",
            Import => "import",
            Scene => "scene",
            Arrange => "arrange",
            Groove => "groove",
            Humanize => "humanize",
            True => "true",
            False => "false",
            Rest => "rest",
            Ident => "a name",
            Num => "a number",
            Str => "a string",
            UnterminatedStr => "an unterminated string",
            LineComment | BlockComment => "a comment",
            UnterminatedComment => "an unterminated comment",
            LParen => "(",
            RParen => ")",
            LBracket => "[",
            RBracket => "]",
            LBrace => "{",
            RBrace => "}",
            Comma => ",",
            Colon => ":",
            Semi => ";",
            Dot => ".",
            Tilde => "~",
            FatArrow => "=>",
            Assign => "=",
            EqEq => "==",
            NotEq => "!=",
            Lt => "<",
            Le => "<=",
            Gt => ">",
            Ge => ">=",
            DotDot => "..",
            Plus => "+",
            Minus => "-",
            Star => "*",
            Slash => "/",
            Percent => "%",
            StarStar => "**",
            Bang => "!",
            AndAnd => "&&",
            OrOr => "||",
            Error => "an unknown character",
        }
    }

    /// True when [`Token::describe`] gives literal text (shown in backticks) rather than
    /// a description.
    pub fn is_literal_text(self) -> bool {
        !matches!(
            self,
            Token::Ident
                | Token::Num
                | Token::Str
                | Token::UnterminatedStr
                | Token::LineComment
                | Token::BlockComment
                | Token::UnterminatedComment
                | Token::Error
        )
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_literal_text() {
            write!(f, "`{}`", self.describe())
        } else {
            f.write_str(self.describe())
        }
    }
}

/// Split `src` into tokens with their byte ranges, comments included, whitespace not.
/// Never fails; every range lies on char boundaries.
pub fn lex(src: &str) -> Vec<(Token, Range<usize>)> {
    Token::lexer(src)
        .spanned()
        .map(|(tok, range)| (tok.unwrap_or(Token::Error), range))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<Token> {
        lex(src).into_iter().map(|(t, _)| t).collect()
    }

    #[test]
    fn numbers_and_ranges() {
        use Token::*;
        assert_eq!(kinds("1..4"), vec![Num, DotDot, Num]);
        assert_eq!(kinds("2.5e-2"), vec![Num]);
        assert_eq!(kinds("1ex"), vec![Num, Ident]);
        assert_eq!(kinds("1.x"), vec![Num, Dot, Ident]);
        assert_eq!(kinds(".5"), vec![Dot, Num]);
    }

    #[test]
    fn keywords_and_names() {
        use Token::*;
        assert_eq!(kinds("let letter rest_"), vec![Let, Ident, Ident]);
        assert_eq!(
            kinds("x=>y == z = w"),
            vec![Ident, FatArrow, Ident, EqEq, Ident, Assign, Ident]
        );
    }

    #[test]
    fn strings_and_comments() {
        use Token::*;
        assert_eq!(
            kinds("\"a\nb\" // c\n/* /* */ */ x"),
            vec![Str, LineComment, BlockComment, Ident]
        );
        assert_eq!(kinds("\"abc"), vec![UnterminatedStr]);
        assert_eq!(kinds("x /* /* */"), vec![Ident, UnterminatedComment]);
        assert_eq!(lex("/* é"), vec![(UnterminatedComment, 0..5)]);
    }

    #[test]
    fn highlighting_kinds() {
        let kinds: Vec<TokenKind> = lex("let x = \"a\" + 1 // c\n[ @")
            .into_iter()
            .map(|(t, _)| t.kind())
            .collect();
        use TokenKind::*;
        assert_eq!(
            kinds,
            vec![
                Keyword,
                Ident,
                Operator,
                String,
                Operator,
                Number,
                Comment,
                Punctuation,
                Error
            ]
        );
    }

    #[test]
    fn unknown_characters() {
        let toks = lex("a @ é b");
        assert_eq!(toks.len(), 4);
        assert_eq!(toks.get(1), Some(&(Token::Error, 2..3)));
        assert_eq!(toks.get(2), Some(&(Token::Error, 4..6)));
    }
}
