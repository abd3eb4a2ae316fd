//! What a walk records as it goes: the hops, the verdict and blocker, the way out, the assumptions;
//! the interner that shares hop texts between paths; and legs, stretches of a walk recorded once
//! and replayed for the next path that crosses them.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use pulldoctor_model::{Code, Route};

use crate::address::Address;
use crate::result::{Blocker, Hop, HopKind, HopStatus, Verdict};
use crate::route;
use crate::rules::RuleDecision;

/// Whether the walk goes on after a hop.
#[derive(Clone, Copy)]
pub(crate) enum Flow {
    Continue,
    Stop,
}

/// Hop texts shared between paths: thousands of nodes behind one NAT gateway or ACL produce the
/// same sentences, and a large sweep would otherwise hold a copy of each per path.
#[derive(Default)]
pub struct Interner {
    texts: HashSet<Arc<str>>,
    /// The part of a path from a NAT gateway's subnet outwards, which does not depend on the
    /// node: (NAT id, destination, port, whether the node shares the NAT's subnet) -> what the walk recorded.
    nat_legs: HashMap<LegKey, Leg>,
}

/// Names a recorded leg: (NAT id, destination, port, whether the node shares the NAT's subnet).
pub(crate) type LegKey = (String, String, u16, bool);

/// What a walk recorded over a stretch of the path, to replay for the next node.
#[derive(Clone)]
struct Leg {
    hops: Vec<Hop>,
    assumptions: Vec<String>,
    verdict: Option<Verdict>,
    blocker: Option<Blocker>,
    via: Option<String>,
    uncertain: bool,
    flow: Flow,
}

/// Where a leg starts: what the walk held before it.
pub(crate) struct Mark {
    hops: usize,
    assumptions: usize,
    uncertain: bool,
}

impl Interner {
    fn intern(&mut self, text: String) -> Arc<str> {
        if let Some(shared) = self.texts.get(text.as_str()) {
            return shared.clone();
        }
        let shared: Arc<str> = Arc::from(text);
        self.texts.insert(shared.clone());
        shared
    }
}

/// One path being walked.
pub(crate) struct Walk<'i> {
    interner: &'i mut Interner,
    pub hops: Vec<Hop>,
    pub verdict: Option<Verdict>,
    pub blocker: Option<Blocker>,
    /// A hop could not be settled: without a verdict of its own, the path is unknown.
    pub uncertain: bool,
    pub via: Option<String>,
    pub assumptions: Vec<String>,
    /// The destination as the walk settled it (the dialled address, a prefix list, an endpoint's
    /// interface).
    pub address: Option<Address>,
    /// The interface endpoint that DNS bypasses, by id.
    pub bypassed_endpoint: Option<String>,
}

impl<'i> Walk<'i> {
    pub fn new(interner: &'i mut Interner) -> Self {
        Walk {
            interner,
            hops: Vec::new(),
            verdict: None,
            blocker: None,
            uncertain: false,
            via: None,
            assumptions: Vec::new(),
            address: None,
            bypassed_endpoint: None,
        }
    }
}

impl Walk<'_> {
    pub fn hop(&mut self, kind: HopKind, resource: Option<&str>, status: HopStatus, detail: String, rule: Option<String>) {
        if status == HopStatus::Unknown {
            self.uncertain = true;
        }
        let resource = resource.map(|r| self.interner.intern(r.to_string()));
        let detail = self.interner.intern(detail);
        let rule = rule.map(|r| self.interner.intern(r));
        self.hops.push(Hop { kind, resource, status, detail, rule });
    }
    /// Record the hop a rule decision makes, with the text for each outcome; returns the quoted
    /// rule when the decision is a deny (the caller then blocks with its own code).
    /// `describe` writes the hop's text for the outcome (only the one that happened is built).
    pub fn rule_hop(
        &mut self,
        kind: HopKind,
        resource: Option<&str>,
        decision: RuleDecision,
        describe: impl FnOnce(HopStatus) -> String,
    ) -> Option<String> {
        match decision {
            RuleDecision::Allow { rule } => {
                self.hop(kind, resource, HopStatus::Pass, describe(HopStatus::Pass), Some(rule));
                None
            }
            RuleDecision::Unknown { rule } => {
                self.hop(kind, resource, HopStatus::Unknown, describe(HopStatus::Unknown), Some(rule));
                None
            }
            RuleDecision::Deny { rule } => {
                self.hop(kind, resource, HopStatus::Fail, describe(HopStatus::Fail), Some(rule.clone()));
                Some(rule)
            }
        }
    }

    pub fn block(&mut self, code: Code, summary: String, resources: Vec<String>) -> Flow {
        self.block_with(code, summary, resources, None)
    }
    pub fn block_with(&mut self, code: Code, summary: String, resources: Vec<String>, fix_target: Option<String>) -> Flow {
        self.verdict = Some(Verdict::Blocked);
        self.blocker = Some(Blocker { code, summary, resources, fix_target });
        Flow::Stop
    }
    /// The route's target is gone or stopped.
    pub fn blackhole(&mut self, table_id: &str, route: &Route) -> Flow {
        self.block(
            Code::RouteBlackhole,
            format!("the route {} is a blackhole: its target is gone or stopped", route::text(route)),
            vec![table_id.to_string(), route.target.id().to_string()],
        )
    }
    pub fn leaves_scope(&mut self, summary: String, resources: Vec<String>) -> Flow {
        self.verdict = Some(Verdict::Unknown);
        self.blocker = Some(Blocker { code: Code::PathLeavesScope, summary, resources, fix_target: None });
        Flow::Stop
    }
    pub fn unknown(&mut self) -> Flow {
        self.verdict = Some(Verdict::Unknown);
        Flow::Stop
    }
    /// The traffic leaves through `via`; the walk goes on to check the return path.
    pub fn reach(&mut self, via: &str) -> Flow {
        self.via = Some(via.to_string());
        Flow::Continue
    }

    /// Replay the NAT leg recorded under `key`, if an earlier path walked it.
    pub fn replay_nat_leg(&mut self, key: &LegKey) -> Option<Flow> {
        let leg = self.interner.nat_legs.get(key).cloned()?;
        self.hops.extend(leg.hops);
        self.assumptions.extend(leg.assumptions);
        self.uncertain |= leg.uncertain;
        if leg.verdict.is_some() {
            self.verdict = leg.verdict;
        }
        if leg.blocker.is_some() {
            self.blocker = leg.blocker;
        }
        if leg.via.is_some() {
            self.via = leg.via;
        }
        Some(leg.flow)
    }
    /// Start recording a leg: what follows is recorded by [`Walk::record_nat_leg`].
    pub fn mark(&mut self) -> Mark {
        let mark = Mark { hops: self.hops.len(), assumptions: self.assumptions.len(), uncertain: self.uncertain };
        self.uncertain = false;
        mark
    }
    /// Keep what the walk recorded since `mark` under `key`, for the next path to replay.
    pub fn record_nat_leg(&mut self, key: LegKey, mark: Mark, flow: Flow) {
        let leg = Leg {
            hops: self.hops[mark.hops..].to_vec(),
            assumptions: self.assumptions[mark.assumptions..].to_vec(),
            verdict: self.verdict,
            blocker: self.blocker.clone(),
            via: self.via.clone(),
            uncertain: self.uncertain,
            flow,
        };
        self.uncertain |= mark.uncertain;
        self.interner.nat_legs.insert(key, leg);
    }
}
