//! The compiled rule matcher: exact names in a map, prefixes longest first, regexes in file
//! order, then the default (see the precedence in [`crate::policy`]).

use std::collections::HashMap;

use regex::Regex;

use super::{PolicyConfig, RuleBody, TopicMatch};

/// Rules ready to be matched against topic names. Cheap to share (`Arc` it).
#[derive(Debug, Clone)]
pub struct CompiledPolicy {
    exact: HashMap<String, RuleBody>,
    /// Sorted by prefix length, longest first.
    prefixes: Vec<(String, RuleBody)>,
    regexes: Vec<(Regex, RuleBody)>,
    default: Option<RuleBody>,
    /// True when no rule checks anything: the enforcer can forward without decoding.
    inert: bool,
}

impl CompiledPolicy {
    pub fn new(config: &PolicyConfig) -> Result<Self, Vec<String>> {
        let problems = problems(config);
        if !problems.is_empty() {
            return Err(problems);
        }
        let mut exact = HashMap::new();
        let mut prefixes = Vec::new();
        let mut regexes = Vec::new();
        for rule in &config.rules {
            match rule.matches.selector() {
                Some(TopicMatch::Topic(t)) => {
                    exact.insert(t, rule.body());
                }
                Some(TopicMatch::Prefix(p)) => prefixes.push((p, rule.body())),
                Some(TopicMatch::Regex(r)) => match anchored(&r) {
                    Ok(re) => regexes.push((re, rule.body())),
                    Err(e) => return Err(vec![e]),
                },
                None => {} // reported by `problems`
            }
        }
        prefixes.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
        let inert = config.rules.iter().all(|r| r.body().is_inert())
            && config.default.as_ref().is_none_or(RuleBody::is_inert);
        Ok(Self {
            exact,
            prefixes,
            regexes,
            default: config.default.clone(),
            inert,
        })
    }

    /// The rule that applies to `topic`, if any.
    pub fn rule_for(&self, topic: &str) -> Option<&RuleBody> {
        if let Some(rule) = self.exact.get(topic) {
            return Some(rule);
        }
        if let Some((_, rule)) = self
            .prefixes
            .iter()
            .find(|(p, _)| topic.starts_with(p.as_str()))
        {
            return Some(rule);
        }
        if let Some((_, rule)) = self.regexes.iter().find(|(re, _)| re.is_match(topic)) {
            return Some(rule);
        }
        self.default.as_ref()
    }

    /// True when no topic can have any check.
    pub fn is_inert(&self) -> bool {
        self.inert
    }
}

fn anchored(pattern: &str) -> Result<Regex, String> {
    Regex::new(&format!("^(?:{pattern})$"))
        .map_err(|e| format!("policy.rules: invalid regex {pattern:?}: {e}"))
}

/// Every problem of a policy section.
pub(super) fn problems(config: &PolicyConfig) -> Vec<String> {
    let mut out = Vec::new();
    let mut seen_exact = std::collections::HashSet::new();
    let mut seen_prefix = std::collections::HashSet::new();
    for (i, rule) in config.rules.iter().enumerate() {
        match rule.matches.selector() {
            None => out.push(format!(
                "policy.rules[{i}].match: set exactly one of topic, prefix, regex"
            )),
            Some(TopicMatch::Topic(t)) if t.is_empty() => {
                out.push(format!("policy.rules[{i}]: empty topic name"));
            }
            Some(TopicMatch::Topic(t)) if !seen_exact.insert(t.clone()) => {
                out.push(format!("policy.rules[{i}]: topic {t:?} already has a rule"));
            }
            Some(TopicMatch::Prefix(p)) if !seen_prefix.insert(p.clone()) => {
                out.push(format!(
                    "policy.rules[{i}]: prefix {p:?} already has a rule"
                ));
            }
            Some(TopicMatch::Regex(r)) => {
                if let Err(e) = anchored(&r) {
                    out.push(e.replace("policy.rules", &format!("policy.rules[{i}]")));
                }
            }
            Some(_) => {}
        }
    }
    if config.max_decompressed_bytes == 0 {
        out.push("policy.max_decompressed_bytes: must be greater than 0".to_owned());
    }
    out
}
