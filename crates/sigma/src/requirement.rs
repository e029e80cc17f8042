//! Prefilter requirements: what the raw JSON line of every event a rule matches must contain,
//! as a conjunction of clauses, each a disjunction of needles (one clause per AND branch of
//! the rule that has literals). A prefilter can scan for one clause (the anchor, the most
//! selective) and check the others on the few lines that hold it, so a rule like
//! `verb: create, objectRef.resource: pods, objectRef.namespace: kube-system` lets through
//! only lines holding all three, not every line of `kube-system`.
//!
//! Derivation is conservative: a `not`, a test without literals, or an OR branch without any
//! adds no clause; an OR of conjunctions becomes the conjunction of the pairwise unions of
//! their clauses (capped, see [`MAX_CLAUSES`]). Dropping a clause only weakens a requirement,
//! so every shortcut keeps it sound.

/// How a field's values show in the raw line of an event, for needle derivation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FieldText {
    /// Values are written as JSON text; `key`, when given, is the key (lowercase) that holds
    /// the scalar value in compact JSON (`"verb":"create"`); `numbers` says whether a number's
    /// text in the line is the text the rule compares (canonical integers of typed fields),
    /// which fails for untyped JSON (`1e2` is compared as `100`).
    /// `synthesized` lists texts (lowercase) the evaluated event may hold without its line
    /// (defaults of typed fields): a needle found inside one of them is not certain.
    Json {
        key: Option<String>,
        numbers: bool,
        synthesized: &'static [&'static str],
    },
    /// A computed (derived) field: whenever the event has it, its line holds one of these.
    Implied(Vec<String>),
    /// Nothing about the line is certain.
    Unknown,
}

/// Most clauses kept when an OR is distributed over ANDs; beyond it each branch is reduced to
/// its anchor clause first.
pub const MAX_CLAUSES: usize = 16;

/// A conjunction of clauses: an empty list constrains nothing.
pub(crate) type Cnf = Vec<Vec<String>>;

/// What every matching event's raw JSON line (ASCII-lowercased) contains: one needle of each
/// clause. The first clause is the anchor, the one a prefilter should scan for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// Each clause is satisfied by any of its needles; all clauses must be. Never empty, and
    /// no clause is empty. Needles follow the contract of [`crate::Engine::needles_for`].
    pub clauses: Vec<Vec<String>>,
}

impl Requirement {
    /// Builds a requirement from clauses, anchor first; None when nothing is required.
    pub(crate) fn from_cnf(mut cnf: Cnf) -> Option<Requirement> {
        cnf.retain(|c| !c.is_empty());
        for c in &mut cnf {
            c.sort();
            c.dedup();
        }
        cnf.sort();
        cnf.dedup();
        let anchor = best_index(&cnf)?;
        cnf.swap(0, anchor);
        Some(Requirement { clauses: cnf })
    }

    /// The clause a prefilter scans for.
    pub fn anchor(&self) -> &[String] {
        self.clauses.first().map_or(&[], Vec::as_slice)
    }

    /// Does an ASCII-lowercased line satisfy every clause?
    pub fn holds(&self, lowered_line: &str) -> bool {
        self.clauses
            .iter()
            .all(|c| c.iter().any(|n| lowered_line.contains(n.as_str())))
    }
}

/// The most selective clause: its shortest needle longest, then the fewest needles.
fn best_index(cnf: &[Vec<String>]) -> Option<usize> {
    (0..cnf.len()).max_by_key(|&i| {
        let c = cnf.get(i).map_or(&[][..], Vec::as_slice);
        (
            c.iter().map(String::len).min().unwrap_or(0),
            usize::MAX - c.len(),
            // Ties go to the earliest clause (max_by_key keeps the last maximum).
            usize::MAX - i,
        )
    })
}

/// An OR of conjunctions, as one conjunction (sound, not exact).
pub(crate) fn or_cnf(branches: impl IntoIterator<Item = Cnf>) -> Cnf {
    let mut acc: Option<Cnf> = None;
    for b in branches {
        if b.is_empty() {
            return Vec::new();
        }
        acc = Some(match acc {
            None => b,
            Some(a) => {
                let (a, b) = if a.len() * b.len() > MAX_CLAUSES {
                    (reduce(a), reduce(b))
                } else {
                    (a, b)
                };
                let mut out = Vec::with_capacity(a.len() * b.len());
                for ca in &a {
                    for cb in &b {
                        let mut c: Vec<String> = ca.iter().chain(cb).cloned().collect();
                        c.sort();
                        c.dedup();
                        out.push(c);
                    }
                }
                out
            }
        });
    }
    acc.unwrap_or_default()
}

/// A conjunction reduced to its anchor clause.
fn reduce(cnf: Cnf) -> Cnf {
    match best_index(&cnf) {
        Some(i) => cnf.into_iter().skip(i).take(1).collect(),
        None => Vec::new(),
    }
}

/// Rules' requirements compiled to check many texts fast: one overlapping Aho-Corasick pass
/// over every needle, then each rule's clauses from the needles seen. For a caller that has
/// an event's compact JSON text (lowercased) and wants to evaluate only the rules that can
/// match it.
#[derive(Debug, Clone)]
pub struct RequirementFilter {
    needles: Option<aho_corasick::AhoCorasick>,
    needle_count: usize,
    /// Rule index and its clauses as needle ids; None: the rule is always a candidate.
    rules: Vec<(usize, Option<Vec<Vec<usize>>>)>,
}

impl RequirementFilter {
    /// Compiles `rules` (rule index, requirement; None when it must see every text).
    pub fn new(rules: Vec<(usize, Option<Requirement>)>) -> RequirementFilter {
        let mut ids: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        let mut compiled = Vec::with_capacity(rules.len());
        for (index, requirement) in rules {
            let clauses = requirement.map(|r| {
                r.clauses
                    .into_iter()
                    .map(|c| {
                        c.into_iter()
                            .map(|n| {
                                let next = ids.len();
                                *ids.entry(n).or_insert(next)
                            })
                            .collect()
                    })
                    .collect()
            });
            compiled.push((index, clauses));
        }
        let mut by_id: Vec<(usize, String)> = ids.into_iter().map(|(n, i)| (i, n)).collect();
        by_id.sort();
        let patterns: Vec<String> = by_id.into_iter().map(|(_, n)| n).collect();
        let needles = aho_corasick::AhoCorasick::new(&patterns).ok();
        // Should the automaton be refused, every rule stays a candidate.
        if needles.is_none() {
            for (_, clauses) in &mut compiled {
                *clauses = None;
            }
        }
        RequirementFilter {
            needle_count: patterns.len(),
            needles,
            rules: compiled,
        }
    }

    /// The rules (indices, in the order given) whose requirement holds in `lowered`, an
    /// event's JSON text, ASCII-lowercased; rules without requirement are always listed.
    pub fn candidates(&self, lowered: &[u8]) -> Vec<usize> {
        // Non-ASCII characters that lowercase to ASCII (`İ`, the Kelvin sign) defeat
        // byte-wise needles: every rule is a candidate then.
        let folds = !lowered.is_ascii()
            && (lowered.windows(2).any(|w| w == [0xC4, 0xB0])
                || lowered.windows(3).any(|w| w == [0xE2, 0x84, 0xAA]));
        let mut seen = vec![false; self.needle_count];
        if let Some(ac) = &self.needles
            && !folds
        {
            for m in ac.find_overlapping_iter(lowered) {
                if let Some(slot) = seen.get_mut(m.pattern().as_usize()) {
                    *slot = true;
                }
            }
        }
        self.rules
            .iter()
            .filter(|(_, clauses)| {
                folds
                    || clauses.as_ref().is_none_or(|clauses| {
                        clauses
                            .iter()
                            .all(|c| c.iter().any(|&id| seen.get(id) == Some(&true)))
                    })
            })
            .map(|(index, _)| *index)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(items: &[&[&str]]) -> Cnf {
        items
            .iter()
            .map(|c| c.iter().map(|s| s.to_string()).collect())
            .collect()
    }

    #[test]
    fn or_distributes_and_keeps_soundness() {
        // (a ∧ b) ∨ (c) = (a ∨ c) ∧ (b ∨ c)
        let got = or_cnf([c(&[&["aaa"], &["bbb"]]), c(&[&["ccc"]])]);
        assert_eq!(got, c(&[&["aaa", "ccc"], &["bbb", "ccc"]]));
        // An unconstrained branch makes the OR unconstrained.
        assert!(or_cnf([c(&[&["aaa"]]), Vec::new()]).is_empty());
        let req = Requirement::from_cnf(got).expect("requirement");
        assert!(req.holds("xx aaa bbb"));
        assert!(req.holds("ccc"));
        assert!(!req.holds("aaa"));
    }

    #[test]
    fn wide_ors_are_reduced_to_anchors() {
        let wide: Cnf = (0..5).map(|i| vec![format!("needle{i}")]).collect();
        let got = or_cnf([wide.clone(), wide.clone(), wide]);
        assert!(got.len() <= MAX_CLAUSES);
        let req = Requirement::from_cnf(got).expect("requirement");
        assert!(req.holds("needle0"));
    }

    #[test]
    fn anchor_is_the_most_selective_clause() {
        let req = Requirement::from_cnf(c(&[
            &["\"verb\":\"create\"", "\"verb\":\"delete\""],
            &["\"resource\":\"secrets\""],
        ]))
        .expect("requirement");
        assert_eq!(req.anchor(), ["\"resource\":\"secrets\""]);
        assert_eq!(Requirement::from_cnf(Vec::new()), None);
    }
}
