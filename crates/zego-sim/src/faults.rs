//! Fault injection: what can go wrong, how often, and a seeded decider.
//!
//! # Text grammar (`FaultPlan: FromStr`)
//!
//! ```text
//! plan     := [ item { "," item } ] [ ";" "seed=" u64 ]
//! item     := "seed=" u64 | [ Action ":" ] fault [ "=" value ]
//! fault    := "transient" | "ratelimited" | "http500" | "http503" | "drop" | "hang"
//!           | "code:" i64 | "delay" [ ":" duration ]
//! value    := probability in 0..=1   (for "delay" without ":duration", value is the duration);
//!             the non-delay probabilities of one scope (all actions, or one action) add up to at most 1
//! duration := integer (milliseconds) | a humantime duration, e.g. "200ms", "1.5s", "1s 250ms"
//! ```
//!
//! An item without `=value` has probability 1. `Action` is a ZEGO action name (it starts with an
//! upper-case letter), e.g. `ForbidRTCStreams:transient=0.3`; without it the item applies to all
//! actions. `delay=200ms` delays every request by 200 ms; `delay:200ms=0.5` delays half of them.
//! Whitespace around items is ignored. Durations other than a bare number of milliseconds are
//! parsed by [`humantime::parse_duration`] (so `250ms`, `2s`, `1.5s`, `1s 250ms`, `1min` all
//! work, as in the CLI's `--duration`); a delay is at most one day.
//!
//! ```
//! use zego_sim::{Fault, FaultPlan};
//! let plan: FaultPlan =
//!     "transient=0.3,http503=0.1,drop=0.05,delay=200ms,hang=0.01,code:30002=0.1;seed=7"
//!         .parse()
//!         .unwrap();
//! assert_eq!(plan.seed_value(), Some(7));
//! assert_eq!(plan.entries().len(), 6);
//! let per_action: FaultPlan = "ForbidRTCStreams:transient=0.3".parse().unwrap();
//! assert_eq!(per_action.entries()[0].action.as_deref(), Some("ForbidRTCStreams"));
//! assert!("bogus=0.1".parse::<FaultPlan>().is_err());
//! ```

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::codes;

/// One kind of injected failure.
///
/// ```
/// use zego_sim::Fault;
/// assert_eq!(Fault::Code(30003).to_string(), "code:30003");
/// assert_eq!(Fault::Delay(std::time::Duration::from_millis(5)).to_string(), "delay:5ms");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Answer HTTP 200 with this code (without applying the operation).
    Code(i64),
    /// Answer a transient code suitable for the action: media actions 1, 30003 or 42003; room /
    /// rule actions 1 or 123 (picked by the seeded RNG).
    TransientCode,
    /// Answer the rate-limit code of the action: 30002 (media) or 206 (rule actions).
    RateLimited,
    /// HTTP 500 whose body is a JSON envelope with Code 1.
    Http500,
    /// HTTP 503 with the non-JSON body `<html>Service Unavailable</html>`.
    Http503,
    /// Wait this long (real time), then process the request normally. Applies in addition to any
    /// other fault.
    Delay(Duration),
    /// Close the TCP connection without any HTTP response.
    DropConnection,
    /// Never answer (until the simulator shuts down; then the connection is closed).
    Hang,
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Code(c) => write!(f, "code:{c}"),
            Fault::TransientCode => f.write_str("transient"),
            Fault::RateLimited => f.write_str("ratelimited"),
            Fault::Http500 => f.write_str("http500"),
            Fault::Http503 => f.write_str("http503"),
            Fault::Delay(d) => write!(f, "delay:{}ms", d.as_millis()),
            Fault::DropConnection => f.write_str("drop"),
            Fault::Hang => f.write_str("hang"),
        }
    }
}

/// One line of a [`FaultPlan`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct FaultEntry {
    /// The action it is limited to, or `None` for all actions.
    pub action: Option<String>,
    /// The fault.
    pub fault: Fault,
    /// Its probability per request, 0..=1.
    pub probability: f64,
}

/// Which faults to inject, how often, from which seed.
///
/// Per request, delay entries are drawn independently (the first one drawn applies); then one
/// uniform draw picks at most one other fault, walking the entries for that action first and then
/// the all-action entries, each taking its probability's share of the unit interval (so the
/// probabilities of the entries that apply to an action should add up to at most 1; what is
/// beyond 1 is never reached). Faults are only drawn for requests the gateway accepted; a
/// faulted request is never applied.
///
/// ```
/// use std::time::Duration;
/// use zego_sim::{Fault, FaultPlan};
/// let plan = FaultPlan::new()
///     .seed(7)
///     .all(Fault::TransientCode, 0.3)
///     .action("ForbidRTCStreams", Fault::Http503, 0.1)
///     .all(Fault::Delay(Duration::from_millis(20)), 0.5);
/// assert_eq!(plan.entries().len(), 3);
/// assert!(!plan.is_empty());
/// assert!(FaultPlan::none().is_empty());
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FaultPlan {
    seed: Option<u64>,
    entries: Vec<FaultEntry>,
}

impl FaultPlan {
    /// An empty plan (no faults).
    ///
    /// ```
    /// assert!(zego_sim::FaultPlan::new().is_empty());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Same as [`FaultPlan::new`].
    ///
    /// ```
    /// assert_eq!(zego_sim::FaultPlan::none(), zego_sim::FaultPlan::new());
    /// ```
    pub fn none() -> Self {
        Self::default()
    }

    /// Seeds the fault RNG (otherwise the simulator's `.seed(..)` is used).
    ///
    /// ```
    /// assert_eq!(zego_sim::FaultPlan::new().seed(3).seed_value(), Some(3));
    /// ```
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Injects `fault` into every action with `probability` (clamped to 0..=1; NaN counts as 0).
    ///
    /// ```
    /// let p = zego_sim::FaultPlan::new().all(zego_sim::Fault::Hang, 2.0);
    /// assert_eq!(p.entries()[0].probability, 1.0);
    /// ```
    #[must_use]
    pub fn all(self, fault: Fault, probability: f64) -> Self {
        self.push(None, fault, probability)
    }

    /// Injects `fault` into the action named `action` with `probability`.
    ///
    /// ```
    /// let p = zego_sim::FaultPlan::new().action("ForbidRTCStream", zego_sim::Fault::Http500, 0.5);
    /// assert_eq!(p.entries()[0].action.as_deref(), Some("ForbidRTCStream"));
    /// ```
    #[must_use]
    pub fn action(self, action: &str, fault: Fault, probability: f64) -> Self {
        self.push(Some(action.to_owned()), fault, probability)
    }

    fn push(mut self, action: Option<String>, fault: Fault, probability: f64) -> Self {
        let probability = if probability.is_nan() {
            0.0
        } else {
            probability.clamp(0.0, 1.0)
        };
        self.entries.push(FaultEntry {
            action,
            fault,
            probability,
        });
        self
    }

    /// The seed, if one was set.
    ///
    /// ```
    /// assert_eq!(zego_sim::FaultPlan::new().seed_value(), None);
    /// ```
    pub fn seed_value(&self) -> Option<u64> {
        self.seed
    }

    /// The entries, in order.
    ///
    /// ```
    /// assert!(zego_sim::FaultPlan::new().entries().is_empty());
    /// ```
    pub fn entries(&self) -> &[FaultEntry] {
        &self.entries
    }

    /// Whether the plan injects nothing.
    ///
    /// ```
    /// assert!(zego_sim::FaultPlan::new().seed(1).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.entries.iter().all(|e| e.probability <= 0.0)
    }
}

/// Why a fault-plan string did not parse.
///
/// ```
/// let err = "nope".parse::<zego_sim::FaultPlan>().unwrap_err();
/// assert!(err.to_string().contains("nope"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultPlanParseError(String);

impl fmt::Display for FaultPlanParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid fault plan: {}", self.0)
    }
}

impl std::error::Error for FaultPlanParseError {}

fn perr(msg: impl Into<String>) -> FaultPlanParseError {
    FaultPlanParseError(msg.into())
}

/// The longest `delay` the grammar accepts.
const MAX_DELAY: Duration = Duration::from_secs(86_400);

/// Parses a bare number of milliseconds (`200`) or a humantime duration (`200ms`, `2s`, `1.5s`,
/// `1s 250ms`), at most [`MAX_DELAY`].
fn parse_duration(s: &str) -> Result<Duration, FaultPlanParseError> {
    let s = s.trim();
    let duration = if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse::<u64>()
            .map(Duration::from_millis)
            .map_err(|_| perr(format!("bad duration `{s}`: too large")))?
    } else {
        humantime::parse_duration(s).map_err(|e| perr(format!("bad duration `{s}`: {e}")))?
    };
    if duration > MAX_DELAY {
        return Err(perr(format!("bad duration `{s}`: longer than 1 day")));
    }
    Ok(duration)
}

fn parse_probability(s: &str) -> Result<f64, FaultPlanParseError> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| perr(format!("bad probability `{s}`")))?;
    if !(0.0..=1.0).contains(&v) {
        return Err(perr(format!("probability `{s}` is not within 0..=1")));
    }
    Ok(v)
}

fn parse_item(item: &str, plan: FaultPlan) -> Result<FaultPlan, FaultPlanParseError> {
    if let Some(seed) = item.strip_prefix("seed=") {
        let seed = seed
            .trim()
            .parse::<u64>()
            .map_err(|_| perr(format!("bad seed `{seed}`")))?;
        return Ok(plan.seed(seed));
    }
    let (action, rest) = match item.split_once(':') {
        Some((a, r)) if a.starts_with(|c: char| c.is_ascii_uppercase()) => (Some(a.trim()), r),
        _ => (None, item),
    };
    let (spec, value) = match rest.split_once('=') {
        Some((s, v)) => (s.trim(), Some(v.trim())),
        None => (rest.trim(), None),
    };
    let prob = |v: Option<&str>| v.map_or(Ok(1.0), parse_probability);
    let (fault, probability) = match spec {
        "transient" => (Fault::TransientCode, prob(value)?),
        "ratelimited" | "rate_limited" | "ratelimit" => (Fault::RateLimited, prob(value)?),
        "http500" => (Fault::Http500, prob(value)?),
        "http503" => (Fault::Http503, prob(value)?),
        "drop" => (Fault::DropConnection, prob(value)?),
        "hang" => (Fault::Hang, prob(value)?),
        "delay" => {
            let v = value.ok_or_else(|| perr("`delay` needs a duration, e.g. delay=200ms"))?;
            (Fault::Delay(parse_duration(v)?), 1.0)
        }
        other => {
            if let Some(d) = other.strip_prefix("delay:") {
                (Fault::Delay(parse_duration(d)?), prob(value)?)
            } else if let Some(c) = other.strip_prefix("code:") {
                let code = c
                    .trim()
                    .parse::<i64>()
                    .map_err(|_| perr(format!("bad code `{c}`")))?;
                (Fault::Code(code), prob(value)?)
            } else {
                return Err(perr(format!("unknown fault `{item}`")));
            }
        }
    };
    Ok(match action {
        Some("") => return Err(perr(format!("empty action in `{item}`"))),
        Some(a) => plan.action(a, fault, probability),
        None => plan.all(fault, probability),
    })
}

impl FromStr for FaultPlan {
    type Err = FaultPlanParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut plan = FaultPlan::new();
        let mut sections = s.split(';');
        let items = sections.next().unwrap_or("");
        for item in items.split(',') {
            let item = item.trim();
            if item.is_empty() {
                continue;
            }
            plan = parse_item(item, plan)?;
        }
        for extra in sections {
            let extra = extra.trim();
            if extra.is_empty() {
                continue;
            }
            if extra.starts_with("seed=") {
                plan = parse_item(extra, plan)?;
            } else {
                return Err(perr(format!("unexpected `{extra}` after `;`")));
            }
        }
        check_probability_sums(&plan)?;
        Ok(plan)
    }
}

/// One draw picks at most one non-delay fault per request, walking an action's own
/// entries before the all-action ones. So within one scope (the all-action entries, or one
/// action's own) the probabilities must add up to at most 1: a written plan asking for
/// more than can happen is refused, not silently cut. Across scopes the action's own
/// entries come first, as documented on [`FaultPlan`].
fn check_probability_sums(plan: &FaultPlan) -> Result<(), FaultPlanParseError> {
    let mut sums: Vec<(Option<&str>, f64)> = Vec::new();
    for e in &plan.entries {
        if matches!(e.fault, Fault::Delay(_)) {
            continue;
        }
        let scope = e.action.as_deref();
        match sums.iter_mut().find(|(s, _)| *s == scope) {
            Some((_, sum)) => *sum += e.probability,
            None => sums.push((scope, e.probability)),
        }
    }
    for (scope, sum) in sums {
        if sum > 1.0 + 1e-9 {
            let which = scope.map_or("every action".to_owned(), |a| format!("`{a}`"));
            return Err(perr(format!(
                "the fault probabilities for {which} add up to {sum:.3}, above 1: one draw picks at most one fault per request"
            )));
        }
    }
    Ok(())
}

/// What the decider chose for one request.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Decision {
    pub delay: Option<Duration>,
    pub fault: Option<Fault>,
}

/// Whether an action is a media-service action (for fault and code selection).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Service {
    Media,
    Room,
}

/// The seeded decider.
#[derive(Debug)]
pub(crate) struct FaultDecider {
    plan: FaultPlan,
    rng: ChaCha8Rng,
}

impl FaultDecider {
    pub fn new(plan: FaultPlan, default_seed: u64) -> Self {
        let seed = plan.seed.unwrap_or(default_seed);
        Self {
            plan,
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    pub fn decide(&mut self, action: &str) -> Decision {
        let mut d = Decision::default();
        if self.plan.is_empty() {
            return d;
        }
        let applies = |e: &&FaultEntry| e.action.as_deref().is_none_or(|a| a == action);
        for e in self.plan.entries.iter().filter(applies) {
            if let Fault::Delay(dur) = e.fault {
                let u: f64 = self.rng.random();
                if d.delay.is_none() && u < e.probability {
                    d.delay = Some(dur);
                }
            }
        }
        let ordered = self
            .plan
            .entries
            .iter()
            .filter(|e| e.action.as_deref() == Some(action))
            .chain(self.plan.entries.iter().filter(|e| e.action.is_none()))
            .filter(|e| !matches!(e.fault, Fault::Delay(_)));
        let u: f64 = self.rng.random();
        let mut acc = 0.0;
        for e in ordered {
            acc += e.probability;
            if u < acc {
                d.fault = Some(e.fault.clone());
                break;
            }
        }
        d
    }

    /// Resolves `TransientCode` / `RateLimited` / `Code` to a concrete code.
    pub fn code_for(&mut self, fault: &Fault, service: Service) -> Option<i64> {
        match (fault, service) {
            (Fault::Code(c), _) => Some(*c),
            (Fault::TransientCode, Service::Media) => {
                let all = [
                    codes::FAILED,
                    codes::MEDIA_INTERNAL,
                    codes::BATCH_FORBID_FAILED,
                ];
                Some(all[self.rng.random_range(0..all.len())])
            }
            (Fault::TransientCode, Service::Room) => {
                let all = [codes::FAILED, codes::SET_STREAM_INFO_FAILED];
                Some(all[self.rng.random_range(0..all.len())])
            }
            (Fault::RateLimited, Service::Media) => Some(codes::MEDIA_RATE_LIMITED),
            (Fault::RateLimited, Service::Room) => Some(codes::ROOM_RATE_LIMITED),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probabilities_above_one_in_one_scope_are_refused() {
        let err = "transient=0.7,http503=0.5"
            .parse::<FaultPlan>()
            .unwrap_err();
        assert!(
            err.to_string().contains("every action add up to 1.200"),
            "{err}"
        );
        let err = "ForbidRTCStreams:drop=0.6,ForbidRTCStreams:hang=0.6"
            .parse::<FaultPlan>()
            .unwrap_err();
        assert!(err.to_string().contains("`ForbidRTCStreams`"), "{err}");
        // Delays are drawn on their own, and an action's entries come before the rest.
        assert!("transient=0.9,delay:1s=0.9,ForbidRTCStreams:drop=0.8"
            .parse::<FaultPlan>()
            .is_ok());
    }

    #[test]
    fn parse_full_grammar() {
        let p: FaultPlan =
            "transient=0.3, http503=0.1,drop=0.05,delay=200ms,hang=0.01,code:30002=0.1;seed=7"
                .parse()
                .unwrap();
        assert_eq!(p.seed_value(), Some(7));
        let e = p.entries();
        assert_eq!(e[0].fault, Fault::TransientCode);
        assert!((e[0].probability - 0.3).abs() < 1e-12);
        assert_eq!(e[1].fault, Fault::Http503);
        assert_eq!(e[2].fault, Fault::DropConnection);
        assert_eq!(e[3].fault, Fault::Delay(Duration::from_millis(200)));
        assert!((e[3].probability - 1.0).abs() < 1e-12);
        assert_eq!(e[4].fault, Fault::Hang);
        assert_eq!(e[5].fault, Fault::Code(30002));
        let p: FaultPlan = "ForbidRTCStreams:code:42003=0.5,delay:1.5s=0.2,seed=3,http500"
            .parse()
            .unwrap();
        assert_eq!(p.entries()[0].action.as_deref(), Some("ForbidRTCStreams"));
        assert_eq!(p.entries()[0].fault, Fault::Code(42003));
        assert_eq!(
            p.entries()[1].fault,
            Fault::Delay(Duration::from_millis(1500))
        );
        assert_eq!(p.entries()[2].fault, Fault::Http500);
        assert_eq!(p.seed_value(), Some(3));
        assert!("".parse::<FaultPlan>().unwrap().is_empty());
    }

    #[test]
    fn parse_errors() {
        for bad in [
            "transient=2",
            "transient=x",
            "delay",
            "delay=abc",
            "code:x=0.1",
            "foo",
            ":transient",
            "transient;nope",
            "seed=-1",
        ] {
            assert!(bad.parse::<FaultPlan>().is_err(), "{bad}");
        }
    }

    #[test]
    fn durations_are_humantime_with_bare_milliseconds() {
        let delay = |text: &str| match text.parse::<FaultPlan>().unwrap().entries()[0].fault {
            Fault::Delay(d) => d,
            ref other => panic!("{text}: {other:?}"),
        };
        // A bare number keeps its meaning: milliseconds.
        assert_eq!(delay("delay=250"), Duration::from_millis(250));
        assert_eq!(delay("delay=0"), Duration::ZERO);
        // The forms the hand parser knew.
        assert_eq!(delay("delay=250ms"), Duration::from_millis(250));
        assert_eq!(delay("delay=2s"), Duration::from_secs(2));
        assert_eq!(delay("delay:1.5s=0.5"), Duration::from_millis(1500));
        // Forms only humantime knows.
        assert_eq!(delay("delay=1s 250ms"), Duration::from_millis(1250));
        assert_eq!(delay("delay:1min=0.1"), Duration::from_secs(60));
        assert_eq!(delay("delay=2sec"), Duration::from_secs(2));
        assert_eq!(delay("delay=1h 30min"), Duration::from_secs(5400));
        assert_eq!(delay("delay=1day"), Duration::from_secs(86_400));
        for bad in [
            "delay=",
            "delay=1.5",
            "delay=-5ms",
            "delay=5x",
            "delay=2days",
            "delay=86400001",
            "delay=99999999999999999999",
        ] {
            let err = bad.parse::<FaultPlan>().unwrap_err().to_string();
            assert!(err.contains("bad duration"), "{bad}: {err}");
        }
    }

    #[test]
    fn decider_is_deterministic() {
        let plan = FaultPlan::new().seed(9).all(Fault::TransientCode, 0.5);
        let mut a = FaultDecider::new(plan.clone(), 0);
        let mut b = FaultDecider::new(plan, 1);
        for _ in 0..100 {
            assert_eq!(a.decide("X"), b.decide("X"));
        }
    }

    #[test]
    fn per_action_first() {
        let plan = FaultPlan::new()
            .action("A", Fault::Http500, 1.0)
            .all(Fault::Hang, 1.0);
        let mut d = FaultDecider::new(plan, 0);
        assert_eq!(d.decide("A").fault, Some(Fault::Http500));
        assert_eq!(d.decide("B").fault, Some(Fault::Hang));
    }
}
