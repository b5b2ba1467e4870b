//! `zego call ACTION KEY=VALUE...`: any action, printing its raw `Data`.

use serde_json::json;
use zego_proto::ops::RawOperation;
use zego_proto::Sequence;

use super::Ctx;
use crate::cli::CallArgs;
use crate::exit::CliError;

/// Builds the raw operation from `KEY=VALUE` pairs.
pub fn raw_operation(action: &str, params: &[String]) -> Result<RawOperation, CliError> {
    let mut op = RawOperation::new(action)?;
    let mut seen: Vec<&str> = Vec::new();
    for param in params {
        let Some((key, value)) = param.split_once('=') else {
            return Err(CliError::usage(
                format!("parameter {param:?} has no '='"),
                "write parameters as KEY=VALUE, e.g. RoomId=room1 or 'StreamId[]=s1'",
            ));
        };
        if !key.ends_with("[]") {
            if seen.contains(&key) {
                return Err(CliError::usage(
                    format!("parameter {key} given twice"),
                    "only array keys ending in [] may repeat, e.g. 'StreamId[]=a' 'StreamId[]=b'",
                ));
            }
            seen.push(key);
        }
        if key == "Sequence" {
            let n: u64 = value.parse().map_err(|_| {
                CliError::usage(
                    format!("Sequence {value:?} is not a number"),
                    "give Sequence as a number, e.g. the time in milliseconds",
                )
            })?;
            op = op.sequence(Sequence::new(n));
        } else {
            op = op.param(key, value)?;
        }
    }
    Ok(op)
}

/// Runs `zego call`.
pub fn run(ctx: &Ctx<'_>, args: &CallArgs) -> Result<(), CliError> {
    let op = raw_operation(&args.action, &args.params)?;
    let Some(response) = ctx.send(&op)? else {
        ctx.finish_dry_run();
        return Ok(());
    };
    let data = response.data.0;
    ctx.out.result(
        || serde_json::to_string_pretty(&data).unwrap_or_else(|_| data.to_string()),
        || json!({ "ok": true, "action": args.action, "data": data, "request_id": response.request_id }),
    );
    if !ctx.out.json {
        ctx.out.note(format!("RequestId: {}", response.request_id));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_keys_repeat_scalars_do_not() {
        assert!(raw_operation("A", &["K[]=1".into(), "K[]=2".into()]).is_ok());
        assert!(raw_operation("A", &["K=1".into(), "K=2".into()]).is_err());
        assert!(raw_operation("A", &["K".into()]).is_err());
        assert!(raw_operation("A", &["Signature=x".into()]).is_err());
        assert!(raw_operation("A", &["Sequence=12".into()]).is_ok());
    }
}
