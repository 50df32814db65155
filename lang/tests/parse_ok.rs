//! The parser accepts every construct of the language and builds the expected tree.
#![allow(clippy::unwrap_used, clippy::panic)]

use patter_lang::ast::{ExprKind, ItemKind, Module};
use patter_lang::parse::parse;
use patter_lang::FileId;

/// Every construct at least once.
const PROGRAM: &str = r#"// settings
tempo 120
cycle 4; scale dorian
root 2
seed 42
scale [0, 2, 3, 5, 7, 8, 10]
import "drums.pat"
/* block /* nested */ comment */
let n = 12
let f = 0.5 + 1e3 - 2.5e-2
let s = "bd [sn sn]
  hh"
let flags = [true, false, rest, ~]
let math = -1 + 2 * 3 ** 2 ** 2 / 4 % 5
let logic = !a || b && c == d
let cmp = [a != b, a < b, a <= b, a > b, a >= b]
let r = 0..7
let calls = seq([0, 2, 4,], repeats: 2, scale: dorian,)
let methods = p.seed(3).fast(2).rev
let lambdas = [x => x * 2, (a, b) => a + b, () => 1, (c,) => c, x => y => x]
let rec = { "quoted key": 1, play: 2, degree: (1 + 2) * 3, }
fn twice(p) = p.fast(2)
fn add(a, b,) = a + b
play bass { degree: seq([0, 2, 4]), dur: 0.5, }
play drums "bd sn"
stop a, b
hush
mute a, b
unmute a
solo a
unsolo
unsolo a
"#;

fn parse_ok(src: &str) -> Module {
    let (module, diagnostics) = parse(FileId(0), src);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    module
}

#[test]
fn every_construct() {
    let module = parse_ok(PROGRAM);
    // Each item's source text, then the tree.
    let items: Vec<&str> = module
        .items
        .iter()
        .map(|i| &PROGRAM[i.span.range()])
        .collect();
    insta::assert_debug_snapshot!("every_construct_items", items);
    insta::assert_snapshot!("every_construct_sexpr", sexpr_module(&module));
    insta::assert_debug_snapshot!("every_construct_ast", module);
}

#[test]
fn precedence() {
    let src = "let x = a || b && c < d .. e + f * g ** -h.m(1)";
    let module = parse_ok(src);
    insta::assert_snapshot!(sexpr_module(&module));
}

#[test]
fn associativity() {
    let cases = [
        ("a - b - c", "(Sub (Sub a b) c)"),
        ("a / b * c % d", "(Mod (Mul (Div a b) c) d)"),
        ("2 ** 3 ** 2", "(Pow 2 (Pow 3 2))"),
        ("a * b ** c * d", "(Mul (Mul a (Pow b c)) d)"),
        ("1..2 + 3", "(range 1 (Add 2 3))"),
        ("0..3 < 5..7", "(Lt (range 0 3) (range 5 7))"),
        ("a < b && c < d || e", "(Or (And (Lt a b) (Lt c d)) e)"),
        ("-a ** 2", "(Pow (Neg a) 2)"),
        ("!a.b(1)(2)", "(Not (call (method a b 1) 2))"),
        ("x => y => x + y", "(fn [x] (fn [y] (Add x y)))"),
    ];
    for (src, want) in cases {
        let module = parse_ok(&format!("let v = {src}"));
        assert_eq!(sexpr_module(&module), format!("(let v {want})"), "{src}");
    }
}

#[test]
fn comparisons_and_ranges_do_not_chain() {
    for (src, code) in [
        ("a < b < c", "E0114"),
        ("a == b != c", "E0114"),
        ("a < b + c < d", "E0114"),
        ("0..1..2", "E0115"),
    ] {
        let (_, d) = parse(FileId(0), &format!("let v = {src}"));
        let codes: Vec<&str> = d.iter().map(|d| d.code).collect();
        assert_eq!(codes, vec![code], "{src}");
    }
    parse_ok("let v = a < b && b < c");
    parse_ok("let v = (a < b) == (b < c)");
}

#[test]
fn items_need_no_separators() {
    let module = parse_ok("let a = 1 let b = a play p a tempo 1 hush stop p;;; mute p");
    assert_eq!(module.items.len(), 7);
    let module = parse_ok("stop a, b, mute c, unsolo");
    assert_eq!(module.items.len(), 3);
    let module = parse_ok("unsolo\nplay x 1");
    assert!(matches!(&module.items[0].node, ItemKind::Unsolo(v) if v.is_empty()));
}

#[test]
fn keywords_as_names() {
    let module = parse_ok("let x = { scale: dorian, root: 2, seed: 1 }.seed(3).play");
    assert_eq!(
        sexpr_module(&module),
        "(let x (method (method (record scale:dorian root:2 seed:1) seed 3) play))"
    );
    let module = parse_ok("let y = seq(x, repeats: 2, rest: 1)");
    assert_eq!(
        sexpr_module(&module),
        "(let y (call seq x repeats:2 rest:1))"
    );
}

#[test]
fn strings_are_raw_and_spans_include_quotes() {
    let src = "let s = \"a \\ b\n<c d>\"";
    let module = parse_ok(src);
    let ItemKind::Let { value, .. } = &module.items[0].node else {
        panic!("not a let")
    };
    assert_eq!(value.node, ExprKind::Str("a \\ b\n<c d>".into()));
    assert_eq!(&src[value.span.range()], "\"a \\ b\n<c d>\"");
}

#[test]
fn spans_point_at_the_source() {
    let src = "play bass (1 + 2)";
    let module = parse_ok(src);
    let ItemKind::Play { name, body } = &module.items[0].node else {
        panic!("not a play")
    };
    assert_eq!(&src[name.span.range()], "bass");
    assert_eq!(&src[body.span.range()], "(1 + 2)");
}

#[test]
fn empty_and_comment_only_sources() {
    assert!(parse_ok("").items.is_empty());
    assert!(parse_ok("  // nothing\n/* at all */ ;").items.is_empty());
}

/// A compact rendering of the tree, to make precedence visible.
fn sexpr_module(m: &Module) -> String {
    m.items.iter().map(item).collect::<Vec<_>>().join("\n")
}

fn item(i: &patter_lang::ast::Item) -> String {
    let names = |ns: &[patter_lang::ast::Ident]| {
        ns.iter()
            .map(|n| format!(" {}", n.node))
            .collect::<String>()
    };
    match &i.node {
        ItemKind::Let { name, value } => format!("(let {} {})", name.node, expr(value)),
        ItemKind::Fn { name, params, body } => {
            format!(
                "(fn {} [{}] {})",
                name.node,
                names(params).trim(),
                expr(body)
            )
        }
        ItemKind::Play { name, body } => format!("(play {} {})", name.node, expr(body)),
        ItemKind::Setting { setting, value } => format!("({setting:?} {})", expr(value)),
        ItemKind::Import { path } => format!("(import {:?})", path.node),
        ItemKind::Stop(ns) => format!("(stop{})", names(ns)),
        ItemKind::Mute(ns) => format!("(mute{})", names(ns)),
        ItemKind::Unmute(ns) => format!("(unmute{})", names(ns)),
        ItemKind::Solo(ns) => format!("(solo{})", names(ns)),
        ItemKind::Unsolo(ns) => format!("(unsolo{})", names(ns)),
        ItemKind::Scene { name, flag, items } => format!(
            "(scene {}{} [{}])",
            name.node,
            flag.as_ref()
                .map(|f| format!(" {}", f.node))
                .unwrap_or_default(),
            items.iter().map(item).collect::<Vec<_>>().join(" ")
        ),
        ItemKind::Arrange { looped, sections } => format!(
            "(arrange{}{})",
            if *looped { " loop" } else { "" },
            sections
                .iter()
                .map(|(n, len)| format!(" {} {}", n.node, expr(len)))
                .collect::<String>()
        ),
        ItemKind::Launch {
            scenes,
            list,
            on,
            quant,
        } => format!(
            "(launch {}{}{}{})",
            if *list { "list" } else { "one" },
            names(scenes),
            on.as_ref()
                .map(|e| format!(" on {}", expr(e)))
                .unwrap_or_default(),
            quant
                .as_ref()
                .map(|e| format!(" quant {}", expr(e)))
                .unwrap_or_default()
        ),
        ItemKind::Hush => "(hush)".into(),
        ItemKind::Error => "<error>".into(),
    }
}

#[test]
fn scenes_and_arrangements() {
    let m = parse_ok("scene v keep { tempo 90; play a { s: \"bd\" } play b 1 }\narrange loop v 4, loop 2\narrange loop 4");
    assert_eq!(
        sexpr_module(&m),
        "(scene v keep [(Tempo 90) (play a (record s:\"bd\")) (play b 1)])\n(arrange loop v 4 loop 2)\n(arrange loop 4)"
    );
}

fn expr(e: &patter_lang::ast::Expr) -> String {
    use patter_lang::ast::Arg;
    let args = |args: &[Arg]| {
        args.iter()
            .map(|a| match &a.name {
                Some(n) => format!(" {}:{}", n.node, expr(&a.value)),
                None => format!(" {}", expr(&a.value)),
            })
            .collect::<String>()
    };
    match &e.node {
        ExprKind::Num(n) => format!("{n}"),
        ExprKind::Str(s) => format!("{s:?}"),
        ExprKind::Bool(b) => format!("{b}"),
        ExprKind::Rest => "rest".into(),
        ExprKind::Ident(s) => s.clone(),
        ExprKind::List(xs) => format!("[{}]", xs.iter().map(expr).collect::<Vec<_>>().join(" ")),
        ExprKind::Record(kv) => format!(
            "(record{})",
            kv.iter()
                .map(|(k, v)| format!(" {}:{}", k.node, expr(v)))
                .collect::<String>()
        ),
        ExprKind::Call { callee, args: a } => format!("(call {}{})", expr(callee), args(a)),
        ExprKind::Method {
            receiver,
            name,
            args: a,
        } => format!("(method {} {}{})", expr(receiver), name.node, args(a)),
        ExprKind::Binary { op, lhs, rhs } => format!("({op:?} {} {})", expr(lhs), expr(rhs)),
        ExprKind::Unary { op, expr: x } => format!("({op:?} {})", expr(x)),
        ExprKind::Range { from, to } => format!("(range {} {})", expr(from), expr(to)),
        ExprKind::Lambda { params, body } => format!(
            "(fn [{}] {})",
            params
                .iter()
                .map(|p| p.node.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            expr(body)
        ),
        ExprKind::Error => "<error>".into(),
    }
}

#[test]
fn launches_and_launch_as_a_plain_name() {
    let m = parse_ok(
        "launch v\nlaunch [a, b,] on timer(4), quant: 2\nlaunch c on t.share([1, 1], 0) quant: 0\nlet launch = 3\nplay on { degree: launch }",
    );
    assert_eq!(
        sexpr_module(&m),
        "(launch one v)\n(launch list a b on (call timer 4) quant 2)\n(launch one c on (method t share [1 1] 0) quant 0)\n(let launch 3)\n(play on (record degree:launch))"
    );
}
