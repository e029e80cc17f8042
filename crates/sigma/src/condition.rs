//! The `condition` language: `and`/`or`/`not`, parentheses, `1 of`/`all of` with wildcard
//! patterns and `them`. Precedence: `not` binds tighter than `and`, which binds tighter than `or`.

/// A parsed condition over selection indices.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cond {
    Sel(usize),
    Not(Box<Cond>),
    And(Vec<Cond>),
    Or(Vec<Cond>),
}

impl Cond {
    /// The same condition with every selection index moved up by `offset`.
    pub(crate) fn shifted(&self, offset: usize) -> Cond {
        match self {
            Cond::Sel(i) => Cond::Sel(i + offset),
            Cond::Not(c) => Cond::Not(Box::new(c.shifted(offset))),
            Cond::And(cs) => Cond::And(cs.iter().map(|c| c.shifted(offset)).collect()),
            Cond::Or(cs) => Cond::Or(cs.iter().map(|c| c.shifted(offset)).collect()),
        }
    }

    pub(crate) fn eval(&self, sel: &mut impl FnMut(usize) -> bool) -> bool {
        match self {
            Cond::Sel(i) => sel(*i),
            Cond::Not(c) => !c.eval(sel),
            Cond::And(cs) => cs.iter().all(|c| c.eval(sel)),
            Cond::Or(cs) => cs.iter().any(|c| c.eval(sel)),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Open,
    Close,
}

fn tokenize(text: &str) -> Result<Vec<Tok>, String> {
    let mut toks = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        match c {
            '(' | ')' => {
                if !word.is_empty() {
                    toks.push(Tok::Word(std::mem::take(&mut word)));
                }
                toks.push(if c == '(' { Tok::Open } else { Tok::Close });
            }
            c if c.is_whitespace() => {
                if !word.is_empty() {
                    toks.push(Tok::Word(std::mem::take(&mut word)));
                }
            }
            '|' => return Err("aggregation expressions (`| count() ...`) are not supported; use a correlation rule".into()),
            _ => word.push(c),
        }
    }
    if !word.is_empty() {
        toks.push(Tok::Word(word));
    }
    Ok(toks)
}

/// Does a Sigma identifier pattern (`selection_*`) match a name? Linear-time glob matching
/// (backtracking to the last `*` only), so hostile patterns cannot blow up.
pub(crate) fn name_matches(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let (mut pi, mut ni) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ni));
                pi += 1;
            }
            Some(&c) if c == '?' || Some(&c) == n.get(ni) => {
                pi += 1;
                ni += 1;
            }
            _ => match star {
                Some((sp, sn)) => {
                    pi = sp + 1;
                    ni = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|&c| c == '*'))
}

/// Deepest nesting of parentheses and `not` accepted (bounds recursion on hostile input).
const MAX_DEPTH: usize = 128;

struct Parser<'a> {
    toks: Vec<Tok>,
    pos: usize,
    depth: usize,
    names: &'a [String],
}

/// Parses a condition; `names` are the selection names in index order.
pub(crate) fn parse(text: &str, names: &[String]) -> Result<Cond, String> {
    let toks = tokenize(text)?;
    if toks.is_empty() {
        return Err("empty condition".into());
    }
    let mut p = Parser {
        toks,
        pos: 0,
        depth: 0,
        names,
    };
    let c = p.or()?;
    if p.pos != p.toks.len() {
        return Err(format!(
            "unexpected `{}` in condition `{text}`",
            p.show(p.pos)
        ));
    }
    Ok(c)
}

impl Parser<'_> {
    fn show(&self, i: usize) -> String {
        match self.toks.get(i) {
            Some(Tok::Word(w)) => w.clone(),
            Some(Tok::Open) => "(".into(),
            Some(Tok::Close) => ")".into(),
            None => "end of condition".into(),
        }
    }

    fn peek_word(&self, w: &str) -> bool {
        matches!(self.toks.get(self.pos), Some(Tok::Word(x)) if x.eq_ignore_ascii_case(w))
    }

    fn or(&mut self) -> Result<Cond, String> {
        let mut items = vec![self.and()?];
        while self.peek_word("or") {
            self.pos += 1;
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Cond::Or(items)
        })
    }

    fn and(&mut self) -> Result<Cond, String> {
        let mut items = vec![self.not()?];
        while self.peek_word("and") {
            self.pos += 1;
            items.push(self.not()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Cond::And(items)
        })
    }

    fn not(&mut self) -> Result<Cond, String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(format!("condition nests deeper than {MAX_DEPTH} levels"));
        }
        let result = if self.peek_word("not") {
            self.pos += 1;
            self.not().map(|c| Cond::Not(Box::new(c)))
        } else {
            self.atom()
        };
        self.depth -= 1;
        result
    }

    fn atom(&mut self) -> Result<Cond, String> {
        let tok = self.toks.get(self.pos).cloned();
        self.pos += 1;
        match tok {
            Some(Tok::Open) => {
                let c = self.or()?;
                if self.toks.get(self.pos) != Some(&Tok::Close) {
                    return Err(format!("expected `)`, found `{}`", self.show(self.pos)));
                }
                self.pos += 1;
                Ok(c)
            }
            Some(Tok::Word(w)) => {
                let lower = w.to_ascii_lowercase();
                if matches!(lower.as_str(), "and" | "or" | "of" | "them") {
                    return Err(format!("unexpected `{w}` in condition"));
                }
                let quantifier = lower == "all" || lower == "any" || lower.parse::<u32>().is_ok();
                if quantifier && self.peek_word("of") {
                    self.pos += 1;
                    let target = match self.toks.get(self.pos) {
                        Some(Tok::Word(t)) => t.clone(),
                        _ => return Err(format!("`{w} of` needs a selection pattern or `them`")),
                    };
                    self.pos += 1;
                    let picked: Vec<Cond> = self
                        .names
                        .iter()
                        .enumerate()
                        .filter(|(_, n)| {
                            if target == "them" {
                                !n.starts_with('_')
                            } else {
                                name_matches(&target, n)
                            }
                        })
                        .map(|(i, _)| Cond::Sel(i))
                        .collect();
                    if picked.is_empty() {
                        return Err(format!("`{w} of {target}` matches no selection"));
                    }
                    return match lower.as_str() {
                        "all" => Ok(Cond::And(picked)),
                        "any" | "1" => Ok(Cond::Or(picked)),
                        _ => Err(format!(
                            "`{w} of` is not supported (only `1 of`, `any of` and `all of`)"
                        )),
                    };
                }
                match self.names.iter().position(|n| *n == w) {
                    Some(i) => Ok(Cond::Sel(i)),
                    None => Err(format!(
                        "condition names `{w}`, which is not a selection of this rule"
                    )),
                }
            }
            Some(Tok::Close) => Err("unexpected `)` in condition".into()),
            None => Err("condition ends too early".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        ["sel_a", "sel_b", "filter", "_hidden"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    #[test]
    fn precedence_and_quantifiers() {
        let n = names();
        let c = parse("sel_a or sel_b and not filter", &n).expect("parse");
        assert_eq!(
            c,
            Cond::Or(vec![
                Cond::Sel(0),
                Cond::And(vec![Cond::Sel(1), Cond::Not(Box::new(Cond::Sel(2)))])
            ])
        );
        assert_eq!(
            parse("1 of sel_*", &n).expect("p"),
            Cond::Or(vec![Cond::Sel(0), Cond::Sel(1)])
        );
        assert_eq!(
            parse("all of them", &n).expect("p"),
            Cond::And(vec![Cond::Sel(0), Cond::Sel(1), Cond::Sel(2)])
        );
        assert!(parse("(sel_a", &n).is_err());
        assert!(parse("sel_c", &n).is_err());
        assert!(parse("1 of nothing*", &n).is_err());
        assert!(parse("sel_a | count() > 5", &n).is_err());
        assert!(parse("2 of sel_*", &n).is_err());
        let deep = format!("{}sel_a{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(parse(&deep, &n).is_err());
        assert!(name_matches("s*_?", "sel_a") && !name_matches("s*_?", "sel_ab"));
        assert!(
            name_matches("*", "")
                && name_matches("a*b*c", "axxbyyc")
                && !name_matches("a*b*c", "axxbyy")
        );
        let hostile = format!("{}b", "*a".repeat(40));
        assert!(!name_matches(&hostile, &"a".repeat(200)));
    }
}
