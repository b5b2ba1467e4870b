//! `SetForbidUserRule`, `DescribeForbidUserRules`, `DelForbidUserRule`.

use serde_json::{json, Value};

use super::stream_rules::effective_time;
use super::{Ctx, Data, Reply};
use crate::codes;
use crate::state::{EnvState, UserRule, UserRuleKey};

/// Most user rules of one type (IP rules: [`MAX_IP_RULES`]) in force at once; one more is
/// refused with 50123 (ZEGO's SetForbidUserRule page). Replacing a rule in force is not one
/// more.
pub(crate) const MAX_RULES_PER_TYPE: usize = 200;
/// Most IP rules (type 1) in force at once.
pub(crate) const MAX_IP_RULES: usize = 100;

fn rule_type(v: &str) -> Result<u8, i64> {
    match v {
        "1" => Ok(1),
        "2" => Ok(2),
        "3" => Ok(3),
        "4" => Ok(4),
        _ => Err(codes::BAD_PARAM),
    }
}

fn field<'a>(ctx: &Ctx<'a>, key: &str) -> Result<&'a str, i64> {
    ctx.params
        .get(key)
        .filter(|s| !s.is_empty())
        .ok_or(codes::BAD_PARAM)
}

/// RuleType and the fields it needs (1 IP, 2 RoomId, 3 UserId, 4 RoomId + UserId); other
/// fields are ignored and stored empty.
fn key(ctx: &Ctx<'_>) -> Result<UserRuleKey, i64> {
    let t = rule_type(ctx.params.get("RuleType").unwrap_or(""))?;
    let need = |cond: bool, name: &str| -> Result<String, i64> {
        if cond {
            field(ctx, name).map(str::to_owned)
        } else {
            Ok(String::new())
        }
    };
    let ip = need(t == 1, "IP")?;
    let room = need(t == 2 || t == 4, "RoomId")?;
    let user = need(t == 3 || t == 4, "UserId")?;
    Ok((t, ip, room, user))
}

pub(super) fn set(ctx: &Ctx<'_>, state: &mut EnvState) -> Result<Reply, i64> {
    let k = key(ctx)?;
    let raw = ctx.params.array_or_plain("DisabledPrivilege");
    if raw.is_empty() {
        return Err(codes::BAD_PARAM);
    }
    let mut privileges = Vec::new();
    for p in raw {
        let p = match p {
            "1" => 1u8,
            "2" => 2u8,
            _ => return Err(codes::BAD_PARAM),
        };
        if !privileges.contains(&p) {
            privileges.push(p);
        }
    }
    privileges.sort_unstable();
    let expire = ctx.now_secs().saturating_add(effective_time(ctx)?);
    // `dispatch` purged lapsed rules, so every rule counted here is in force.
    if !state.user_rules.contains_key(&k) {
        let cap = if k.0 == 1 {
            MAX_IP_RULES
        } else {
            MAX_RULES_PER_TYPE
        };
        let held = state.user_rules.keys().filter(|h| h.0 == k.0).count();
        if held >= cap {
            return Err(codes::TOO_MANY_RULES);
        }
    }
    state.user_rules.insert(
        k.clone(),
        UserRule {
            rule_type: k.0,
            ip: k.1,
            room_id: k.2,
            user_id: k.3,
            disabled_privileges: privileges,
            expire_time: expire,
        },
    );
    Ok(Reply::ok(Data::Value(json!({"ExpireTime": expire}))))
}

pub(super) fn describe(ctx: &Ctx<'_>, state: &EnvState) -> Result<Reply, i64> {
    let filter = match ctx.params.get("RuleType") {
        None | Some("") => None,
        Some(v) => Some(rule_type(v)?),
    };
    let list: Vec<Value> = state
        .user_rules
        .values()
        .filter(|r| filter.is_none_or(|t| t == r.rule_type))
        .map(|r| {
            json!({
                "RuleType": r.rule_type,
                "IP": r.ip,
                "RoomId": r.room_id,
                "UserId": r.user_id,
                "DisabledPrivilegeList": r.disabled_privileges,
                "ExpireTime": r.expire_time,
            })
        })
        .collect();
    Ok(Reply::ok(Data::Value(json!({"RuleList": list}))))
}

pub(super) fn delete(ctx: &Ctx<'_>, state: &mut EnvState) -> Result<Reply, i64> {
    let k = key(ctx)?;
    state.user_rules.remove(&k);
    Ok(Reply::ok(Data::Absent))
}
