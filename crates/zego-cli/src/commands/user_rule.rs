//! `zego user-rule set|get|delete`: user ban rules.

use serde_json::{json, Value};
use zego_proto::ops::{
    DelForbidUserRule, DescribeForbidUserRules, DisabledPrivilege, SetForbidUserRule,
    UserRuleTarget, UserRuleType,
};

use super::{request_id_note, Ctx};
use crate::cli::{Privilege, UserRuleCommand, UserRuleTargetArgs};
use crate::duration::{format_secs, format_unix, parse_effective_time};
use crate::exit::CliError;
use crate::output::table;

/// Runs `zego user-rule ...`.
pub fn run(ctx: &Ctx<'_>, command: UserRuleCommand) -> Result<(), CliError> {
    match command {
        UserRuleCommand::Set {
            target,
            privilege,
            duration,
        } => set(ctx, target, &privilege, &duration),
        UserRuleCommand::Get { rule_type } => get(ctx, rule_type),
        UserRuleCommand::Delete { target } => delete(ctx, target),
    }
}

const TYPE_HINT: &str = "--type 1 needs --ip; 2 needs --room; 3 needs --user; 4 needs --room and --user (and no other); without --type the fields decide";

/// The RuleType the fields given make: `--ip` alone 1, `--room` alone 2, `--user` alone 3,
/// `--room` and `--user` 4; `None` for any other combination.
fn inferred_type(args: &UserRuleTargetArgs) -> Option<i64> {
    match (args.ip.is_some(), args.room.is_some(), args.user.is_some()) {
        (true, false, false) => Some(1),
        (false, true, false) => Some(2),
        (false, false, true) => Some(3),
        (false, true, true) => Some(4),
        _ => None,
    }
}

fn target_of(args: UserRuleTargetArgs) -> Result<UserRuleTarget, CliError> {
    let inferred = inferred_type(&args);
    let rule_type = match (args.rule_type, inferred) {
        (Some(given), _) => given,
        (None, Some(inferred)) => inferred,
        (None, None) => {
            return Err(CliError::usage(
                "cannot tell the rule type from the fields: give --ip alone, --room, --user, or --room and --user",
                TYPE_HINT,
            ))
        }
    };
    UserRuleTarget::from_fields(rule_type, args.ip, args.room, args.user).map_err(|e| {
        let contradiction = match inferred {
            Some(fields) if fields != rule_type => {
                format!(" (--type {rule_type} contradicts the fields given, which make a type-{fields} rule)")
            }
            _ => String::new(),
        };
        CliError::usage(format!("refused before sending: {e}{contradiction}"), TYPE_HINT)
    })
}

fn describe_target(target: &UserRuleTarget) -> String {
    match target {
        UserRuleTarget::Ip(ip) => format!("IP {ip}"),
        UserRuleTarget::Room(room) => format!("room {room}"),
        UserRuleTarget::User(user) => format!("user {user}"),
        UserRuleTarget::RoomUser { room_id, user_id } => {
            format!("user {user_id} in room {room_id}")
        }
    }
}

fn privilege_names(codes: impl IntoIterator<Item = i64>) -> Vec<String> {
    codes
        .into_iter()
        .map(|c| match c {
            1 => "login".to_owned(),
            2 => "publish".to_owned(),
            other => other.to_string(),
        })
        .collect()
}

fn set(
    ctx: &Ctx<'_>,
    target: UserRuleTargetArgs,
    privileges: &[Privilege],
    duration: &str,
) -> Result<(), CliError> {
    let effective = parse_effective_time(duration)
        .map_err(|m| CliError::usage(m, "give --duration as seconds or e.g. 90s, 30m, 6h, 1d"))?;
    let target = target_of(target)?;
    let privileges: Vec<DisabledPrivilege> = privileges
        .iter()
        .map(|p| match p {
            Privilege::Login => DisabledPrivilege::Login,
            Privilege::Publish => DisabledPrivilege::Publish,
        })
        .collect();
    let codes: Vec<i64> = privileges.iter().map(|p| i64::from(p.code())).collect();
    let who = describe_target(&target);
    let rule_type = target.rule_type().code();
    let op = SetForbidUserRule::new(target, privileges, effective)?;
    let Some(response) = ctx.send(&op)? else {
        ctx.finish_dry_run();
        return Ok(());
    };
    let names = privilege_names(codes.clone());
    ctx.out.result(
        || {
            format!(
                "User rule set: {who} may not {} for {} (expires {}){}",
                names.join(" or "),
                format_secs(i64::from(effective.as_secs())),
                format_unix(response.data.expire_time),
                request_id_note(&response.request_id)
            )
        },
        || {
            json!({
                "ok": true,
                "action": SetForbidUserRule::ACTION,
                "rule_type": rule_type,
                "target": who,
                "disabled_privileges": names,
                "effective_time": effective.as_secs(),
                "expire_time": response.data.expire_time,
                "request_id": response.request_id,
            })
        },
    );
    Ok(())
}

fn get(ctx: &Ctx<'_>, rule_type: i64) -> Result<(), CliError> {
    let rule_type = UserRuleType::from_code(rule_type)?;
    let op = DescribeForbidUserRules::new(rule_type);
    let Some(response) = ctx.send(&op)? else {
        ctx.finish_dry_run();
        return Ok(());
    };
    let rules = &response.data.rules;
    ctx.out.result(
        || {
            if rules.is_empty() {
                return format!("No user rule of type {}{}", rule_type.code(), request_id_note(&response.request_id));
            }
            let rows: Vec<Vec<String>> = rules
                .iter()
                .map(|r| {
                    vec![
                        r.rule_type.to_string(),
                        r.ip.clone(),
                        r.room_id.clone(),
                        r.user_id.clone(),
                        privilege_names(r.disabled_privileges.clone()).join(","),
                        format_unix(r.expire_time),
                    ]
                })
                .collect();
            format!(
                "{}\n{}",
                table(&["TYPE", "IP", "ROOM", "USER", "DISABLED", "EXPIRES"], &rows),
                request_id_note(&response.request_id).trim_start()
            )
        },
        || {
            let list: Vec<Value> = rules
                .iter()
                .map(|r| {
                    json!({
                        "rule_type": r.rule_type,
                        "ip": r.ip,
                        "room_id": r.room_id,
                        "user_id": r.user_id,
                        "disabled_privileges": privilege_names(r.disabled_privileges.clone()),
                        "expire_time": r.expire_time,
                    })
                })
                .collect();
            json!({ "ok": true, "action": DescribeForbidUserRules::ACTION, "rules": list, "request_id": response.request_id })
        },
    );
    Ok(())
}

fn delete(ctx: &Ctx<'_>, target: UserRuleTargetArgs) -> Result<(), CliError> {
    let target = target_of(target)?;
    let who = describe_target(&target);
    let rule_type = target.rule_type().code();
    let op = DelForbidUserRule::new(target);
    let Some(response) = ctx.send(&op)? else {
        ctx.finish_dry_run();
        return Ok(());
    };
    ctx.out.result(
        || format!("User rule deleted: {who}{}", request_id_note(&response.request_id)),
        || json!({ "ok": true, "action": DelForbidUserRule::ACTION, "rule_type": rule_type, "target": who, "request_id": response.request_id }),
    );
    Ok(())
}
