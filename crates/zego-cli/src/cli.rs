//! The command line: every command, option and help text (clap derive).

// The doc comments here are clap's help text, read on a terminal: plain URLs and
// placeholders like <AppId> are meant literally, not as Markdown or HTML.
#![allow(rustdoc::bare_urls, rustdoc::invalid_html_tags)]

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};

use zego_proto::admission::{QuotaSetting, Quotas};
use zego_proto::ops::RateLimitGroup;
use zego_proto::Environment;

use crate::exit::exit_codes_help;

/// `--quota`'s long help: the rule, then every group with ZEGO's default quotas, from the
/// core's table.
static QUOTA_HELP: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let defaults = Quotas::default();
    let mut help = String::from(
        "A quota ZEGO raised for this app, as GROUP=N/s (N at least 1; repeatable, one per group; \
         over the profile's [quotas] table). The client paces that group to N requests per \
         second instead of ZEGO's default; with --redis the fleet shares N (each instance \
         keeps to N / --fleet-size while Redis is down). For `zego sim`: the quota the \
         simulator enforces.\n\nGroups and ZEGO's default quotas (requests per second):",
    );
    for group in RateLimitGroup::ALL {
        let (Some(production), Some(test)) = (
            defaults.per_second(*group, Environment::Production),
            defaults.per_second(*group, Environment::Test),
        ) else {
            continue;
        };
        let _ = write!(help, "\n  {:<18} {production}", group.as_str());
        if test != production {
            let _ = write!(help, " (test environment {test})");
        }
    }
    help
});

/// Parses `--quota GROUP=N/s` (clap reports the error naming the group, exit 2).
fn parse_quota(text: &str) -> Result<QuotaSetting, String> {
    text.parse()
        .map_err(|e: zego_proto::admission::QuotaSettingError| e.to_string())
}

const MAIN_AFTER_HELP: &str = concat!(
    "\
Credentials (precedence: flags > environment > profile):
  export ZEGO_APP_ID=1234567890
  export ZEGO_SERVER_SECRET=...        # prefer this to --server-secret (visible in ps)
  export ZEGO_SERVER_SECRET_FILE=/run/secrets/zego   # or the secret in a file
  ServerSecret: --server-secret / ZEGO_SERVER_SECRET > --server-secret-file /
  ZEGO_SERVER_SECRET_FILE > profile server_secret > profile server_secret_file.

Config file (default <config dir>/zego/config.toml; --config / ZEGO_CONFIG), one
[profiles.NAME] table per profile (--profile / ZEGO_PROFILE, default \"default\"):
    [profiles.default]
    app_id = 1234567890                # integer or string
    server_secret = \"...\"              # string; or server_secret_file = \"/path\" (a
                                       #   relative path is relative to the config file)
    region = \"fra\"                     # sha|hkg|fra|lax|bom|sgp; or endpoint = \"URL\"
    test_env = false                   # boolean
    redis = \"redis://127.0.0.1:6379\"   # string: join a fleet
    fleet_size = 4                     # integer
    quotas = { stream_forbid = 500 }   # raised quotas, per group (see --quota)
  Unknown keys are an error. Each key is overridden by its flag or environment variable.

Examples:
  zego demo                                   # a guided tour against a built-in simulator
  zego forbid cheater-1 cheater-2             # cut off two streams
  zego resume --from-file streams.txt         # resume every ID listed in a file
  zego rule set --room r1 --stream s1 --audio --duration 6h
  zego ban user troll --room r1 --for 3d --reason spam   # renewed past ZEGO's 24 h
  zego bans run                               # the worker that renews and lifts bans
  zego --dry-run --nonce 4fd24687296dd9f3 --timestamp 1615186943 forbid rtc01
  zego sim --port 8080                        # a local simulator to point --endpoint at
  zego completions bash > ~/.local/share/bash-completion/completions/zego
  zego man > zego.1

",
    exit_codes_help!()
);

/// `zego`: the ZEGO server API from the command line.
#[derive(Debug, Parser)]
#[command(
    name = "zego",
    version,
    about = "The ZEGO server API from the command line: forbid and resume streams, stream and user ban rules, bans of any length, CDN forbids, raw actions, signed dry runs, a local simulator and a guided demo.",
    after_help = MAIN_AFTER_HELP,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// Options shared by every command.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Options shared by every command; they may be given before or after the command name.
#[derive(Debug, Args)]
#[allow(clippy::struct_excessive_bools)] // One flag per switch reads best on a command line.
pub struct GlobalArgs {
    /// The AppId.
    #[arg(
        long,
        global = true,
        env = zego_proto::env::APP_ID_ENV,
        value_name = "APP_ID",
        help_heading = "Credentials"
    )]
    pub app_id: Option<String>,

    /// The ServerSecret. Prefer the environment variable: a command-line value is visible to other users (ps, shell history).
    #[arg(
        long,
        global = true,
        env = zego_proto::env::SERVER_SECRET_ENV,
        hide_env_values = true,
        value_name = "SECRET",
        help_heading = "Credentials"
    )]
    pub server_secret: Option<String>,

    /// Read the ServerSecret from this file (surrounding whitespace trimmed). Precedence: --server-secret / ZEGO_SERVER_SECRET, then this, then the profile's server_secret, then its server_secret_file.
    #[arg(
        long,
        global = true,
        env = zego_proto::env::SERVER_SECRET_FILE_ENV,
        value_name = "PATH",
        help_heading = "Credentials"
    )]
    pub server_secret_file: Option<PathBuf>,

    /// Config file with named profiles [default: <config dir>/zego/config.toml].
    #[arg(
        long,
        global = true,
        env = zego_proto::env::CONFIG_ENV,
        value_name = "PATH",
        help_heading = "Credentials"
    )]
    pub config: Option<PathBuf>,

    /// The profile to use from the config file [default: default].
    #[arg(
        long,
        global = true,
        env = zego_proto::env::PROFILE_ENV,
        value_name = "NAME",
        help_heading = "Credentials"
    )]
    pub profile: Option<String>,

    /// Base URL to send requests to, e.g. a simulator's http://127.0.0.1:8080 [default: https://rtc-api.zego.im].
    #[arg(
        long,
        global = true,
        env = zego_proto::env::ENDPOINT_ENV,
        value_name = "URL",
        help_heading = "Connection"
    )]
    pub endpoint: Option<String>,

    /// A regional ZEGO host instead of the unified one (wins over ZEGO_ENDPOINT).
    #[arg(
        long,
        global = true,
        env = zego_proto::env::REGION_ENV,
        value_name = "REGION",
        help_heading = "Connection"
    )]
    pub region: Option<RegionArg>,

    /// Accept a plain http:// --endpoint that is not loopback (a simulator on a trusted network): requests seen in clear can be replayed.
    #[arg(long, global = true, help_heading = "Connection")]
    pub allow_insecure_http: bool,

    /// Address the legacy test environment (IsTest=true, zegotest-<AppId>- stream prefix).
    #[arg(
        long,
        global = true,
        env = zego_proto::env::TEST_ENV_ENV,
        // The switch words zego_proto::env reads too: 1/0, true/false, yes/no, on/off.
        value_parser = clap::builder::BoolishValueParser::new(),
        help_heading = "Connection"
    )]
    pub test_env: bool,

    /// Timeout of one request, in seconds.
    #[arg(long, global = true, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=600), help_heading = "Connection")]
    pub timeout: Option<u64>,

    /// Retries after a retryable failure (max attempts = N+1) [default: the SDK's policy, 5 attempts].
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=20), help_heading = "Connection")]
    pub retries: Option<u32>,

    /// Join a fleet: share ZEGO's quota and the Sequence order with every instance using this Redis: `redis://[:PASSWORD@]HOST[:PORT][/DB]`, `redis+sentinel://[:PASSWORD@]H1:P1,H2:P2,.../MASTER[/DB]` (the primary the sentinels name), or `redis+cluster://[:PASSWORD@]H1:P1,H2:P2,...` (a Cluster's seed nodes); over TLS `rediss://`, `rediss+sentinel://` (sentinels and primary), `rediss+cluster://` (every node), trusting the platform's roots (SSL_CERT_FILE or SSL_CERT_DIR name a private CA). A wrong password, ACL, master name or an untrusted certificate exits 2.
    #[arg(
        long,
        global = true,
        env = zego_proto::env::REDIS_URL_ENV,
        value_name = "URL",
        hide_env_values = true,
        help_heading = "Connection"
    )]
    pub redis: Option<String>,

    /// How many instances share the quota: while Redis is down each keeps to quota / N [default: 1].
    #[arg(long, global = true, value_name = "N", value_parser = crate::config::parse_fleet_size, help_heading = "Connection")]
    pub fleet_size: Option<u32>,

    /// A quota ZEGO raised for this app: GROUP=N/s, repeatable (for `sim`: the quota the simulator enforces). See --help for the groups.
    #[arg(
        long,
        global = true,
        value_name = "GROUP=N/s",
        value_parser = parse_quota,
        long_help = QUOTA_HELP.as_str(),
        help_heading = "Connection"
    )]
    pub quota: Vec<QuotaSetting>,

    /// Do not pace requests to ZEGO's documented quotas (for `sim`: run the simulator without rate limits).
    #[arg(long, global = true, help_heading = "Connection")]
    pub no_rate_limit: bool,

    /// Print the signed URL(s) that would be sent, one per line, and send nothing.
    #[arg(long, global = true, help_heading = "Dry run")]
    pub dry_run: bool,

    /// Fix the SignatureNonce of a dry run (16 lowercase hex characters) [default: a fresh random nonce].
    #[arg(long, global = true, value_name = "HEX", help_heading = "Dry run")]
    pub nonce: Option<String>,

    /// Fix the Timestamp of a dry run, in Unix seconds [default: now].
    #[arg(long, global = true, value_name = "SECS", help_heading = "Dry run")]
    pub timestamp: Option<u64>,

    /// Fix the first Sequence of a dry run, at least 1 (later batches count up from it) [default: the time in ms].
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u64).range(1..), help_heading = "Dry run")]
    pub sequence: Option<u64>,

    /// One JSON document per command on stdout (errors too), with stable snake_case fields.
    #[arg(long, global = true, help_heading = "Output")]
    pub json: bool,

    /// More log output on stderr (-v info, -vv debug). The secret is never logged.
    #[arg(short, long, global = true, action = ArgAction::Count, help_heading = "Output")]
    pub verbose: u8,

    /// Only errors on stderr.
    #[arg(
        short,
        long,
        global = true,
        conflicts_with = "verbose",
        help_heading = "Output"
    )]
    pub quiet: bool,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Forbid (cut off) RTC streams, in batches of 20, concurrently.
    #[command(after_help = "\
Examples:
  zego forbid cheater-1 cheater-2
  zego forbid --from-file abusive.txt --journal abusive.journal
  grep -v ok streams.txt | zego forbid --from-file -
  zego --dry-run forbid s1 s2 s3

The file holds one stream ID per line (UTF-8; a BOM is skipped, UTF-16 is refused, lines
over 4 KiB are refused); blank lines and lines starting with # are skipped, spaces around
IDs are trimmed. A file is checked whole before the first request (a bad line: exit 2,
nothing sent); stdin stops at a bad line and reports what was sent (exit 1). It is read
lazily, so it may be as large as you like.
With --journal, each batch's outcome is appended as it completes; the same command run
again skips what is done. Ctrl-C / SIGTERM stops taking batches, prints the summary and
exits 130 / 143. A run that can only fail (wrong secret, unknown AppId) stops after
--fail-fast-after batches. Exits 1 if any stream failed, listing the failed IDs with the
error (3 if no request reached ZEGO).")]
    Forbid(BulkArgs),

    /// Resume (allow again) RTC streams, in batches of 20, concurrently.
    #[command(after_help = "\
Examples:
  zego resume cheater-1
  zego resume --from-file forgiven.txt
  cat ids.txt | zego resume --from-file - --json

The file holds one stream ID per line, under the same rules as for forbid.
Exits 1 if any stream failed, listing the failed IDs with the error (3 if no request
reached ZEGO).")]
    Resume(BulkArgs),

    /// Stream ban rules: ban the audio and/or video of a stream in a room for a while.
    #[command(subcommand)]
    Rule(RuleCommand),

    /// CDN forbids: stop a stream on the CDN, resume it, list what is forbidden.
    #[command(subcommand)]
    Cdn(CdnCommand),

    /// User ban rules: keep an IP, room, user or user-in-room from logging in or publishing.
    #[command(subcommand, name = "user-rule")]
    UserRule(UserRuleCommand),

    /// Show when a stream started and whether it is still live.
    #[command(after_help = "\
Examples:
  zego stream-state rtc01
  zego stream-state rtc01 --json")]
    StreamState {
        /// The stream ID.
        #[arg(value_name = "STREAM_ID")]
        stream_id: String,
    },

    /// Make a Token04 login token for a client SDK (printed alone on stdout), or inspect one.
    #[command(after_help = "\
Examples:
  zego token --user-id alice --ttl 1h
  zego token --user-id alice --ttl 30m --room-id room-1 --privilege login,publish --stream-id s1
  zego token inspect 04AAAAAG...

The token is made from the AppId and the ServerSecret (32 characters), with a fresh random
nonce. --room-id makes a privilege token; --privilege defaults to login.")]
    Token(crate::commands::token::TokenArgs),

    /// Kick users out of a room (KickoutUser, 5 per request): their streams stop.
    #[command(after_help = "\
Examples:
  zego kick --room room1 cheater-1 cheater-2
  zego kick --room room1 cheater-1 --reason 'spam'

Every user ID is checked before the first request (at most 64 bytes of ASCII letters,
digits and ~!@#$%^&*()_+=-`;',.<>/\\). A user who is not in the room is no error.")]
    Kick(KickArgs),

    /// Streams in rooms: delete one (DeleteStream).
    #[command(subcommand)]
    Stream(StreamCommand),

    /// Rooms: close one, list its streams or users, count users.
    #[command(subcommand)]
    Room(RoomCommand),

    /// Whether users are in a room, since when and as what (DescribeUsers, 10 per request).
    #[command(after_help = "\
Examples:
  zego users --room room1 alice bob
  zego users --room room1 alice --json")]
    Users {
        /// The room ID.
        #[arg(long, value_name = "ROOM_ID")]
        room: String,
        /// User IDs (sent 10 per request).
        #[arg(value_name = "USER_ID", required = true)]
        user_ids: Vec<String>,
    },

    /// Ban a user, a stream or a stream's audio/video for any time, even beyond ZEGO's 24-hour rules.
    #[command(subcommand)]
    Ban(BanCommand),

    /// Lift bans: one by its ID (b12), or every ban on a user or a stream.
    #[command(after_help = "\
Examples:
  zego unban b12
  zego unban user troll                # every ban on troll, app-wide and in any room
  zego unban user troll --room lobby   # only troll's bans in lobby
  zego unban stream s1                 # the stream's bans, media bans of it included

Lifting undoes exactly what the ban did (resumes the streams it forbade, deletes the rule it
set), keeping what another active ban on the same target still needs. Prints how many bans
were lifted (none is no error).")]
    Unban(UnbanArgs),

    /// The bans: list them, read the audit log, run the worker that renews and lifts them.
    #[command(subcommand)]
    Bans(BansCommand),

    /// Call any other action by name and print its raw Data as JSON.
    #[command(after_help = "\
Examples:
  zego call DescribeUserNum 'RoomId[]=room1' 'RoomId[]=room2'
  zego call ForbidRTCStream StreamId=rtc01 Sequence=1700000000000
  zego --dry-run call AnyAction Key=value

Keys ending in [] may repeat (array parameters); Sequence is sent as the request's Sequence.
The SDK adds AppId, SignatureNonce, Timestamp, Signature and SignatureVersion itself.")]
    Call(CallArgs),

    /// Run the ZEGO simulator in the foreground (Ctrl-C stops it).
    #[cfg(feature = "sim")]
    #[command(after_help = "\
Examples:
  zego sim --port 8080
  zego sim --app 42:my-test-secret --faults 'transient=0.2;seed=7' --log requests.jsonl
  zego sim --faults delay=200ms       # ZEGO's real-world latency

The first line of stdout is the base URL; point clients at it with --endpoint or ZEGO_ENDPOINT.
Without --app the simulator serves the public demo app 1234567890 whose secret is the
spec's example value 0123456789abcdef0123456789abcdef (printed on start as an export line:
it is not a real secret). Secrets given with --app are never printed.
Fault grammar: transient, ratelimited, http500, http503, drop, hang, code:N, delay[:D], each
optionally Action:-prefixed and =probability; ';seed=N' fixes the random draws.
Rate limits are on unless --no-rate-limit.")]
    Sim(SimArgs),

    /// A guided round trip against a built-in simulator: no credentials, no network.
    #[cfg(feature = "sim")]
    #[command(after_help = "\
Example:
  cargo run -p zego-cli -- demo

Starts the simulator in-process, then forbids, resumes, sets and describes rules, reads a
stream's state and shows how errors are reported, through the real HTTP client.")]
    Demo,

    /// Print a shell completion script on stdout.
    #[command(after_help = "\
Examples:
  zego completions bash > ~/.local/share/bash-completion/completions/zego
  zego completions zsh > \"${fpath[1]}/_zego\"
  zego completions fish > ~/.config/fish/completions/zego.fish
  zego completions powershell >> $PROFILE")]
    Completions {
        /// The shell.
        #[arg(value_name = "SHELL")]
        shell: clap_complete::Shell,
    },

    /// Print the man page (roff) on stdout.
    #[command(after_help = "\
Example:
  zego man > /usr/local/share/man/man1/zego.1")]
    Man,

    /// Write or update a profile of the config file interactively, or list the profiles.
    #[command(after_help = "\
Examples:
  zego configure                              # the profile \"default\"
  zego --profile staging configure
  printf '42\\n%s\\nfra\\n' \"$SECRET\" | zego configure --config ./zego.toml
  zego configure --list

On a terminal it prompts on stderr for the AppId, the ServerSecret (not echoed) and a
region or endpoint URL (optional); Enter keeps the current value, shown in brackets (the
secret only as (set)). When stdin is not a terminal, the answers are read from stdin, one
line each in that order, the ServerSecret too; an empty line keeps the current value.
Other profiles, keys and comments in the file are kept; the file is written with mode 0600.
--list prints one line per profile (--json: one document), never a secret.")]
    Configure(ConfigureArgs),
}

/// Arguments of `configure`.
#[derive(Debug, Args)]
pub struct ConfigureArgs {
    /// List the profiles (AppId, region or endpoint, whether a secret is set), never a secret.
    #[arg(long)]
    pub list: bool,
}

/// A `--region`: one of the core's regions (`zego_proto::Region::ALL`), by its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegionArg(pub zego_proto::Region);

/// Every region the core knows, wrapped for clap.
const REGION_ARGS: [RegionArg; zego_proto::Region::ALL.len()] = {
    let mut out = [RegionArg(zego_proto::Region::ALL[0]); zego_proto::Region::ALL.len()];
    let mut i = 0;
    while i < out.len() {
        out[i] = RegionArg(zego_proto::Region::ALL[i]);
        i += 1;
    }
    out
};

impl ValueEnum for RegionArg {
    fn value_variants<'a>() -> &'a [Self] {
        &REGION_ARGS
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.0.code()).help(self.0.base_url()))
    }
}

/// Arguments of `forbid` and `resume`.
#[derive(Debug, Args)]
pub struct BulkArgs {
    /// Stream IDs (any number: they are sent in batches of 20).
    #[arg(value_name = "STREAM_ID", required_unless_present = "from_file")]
    pub stream_ids: Vec<String>,

    /// Read stream IDs from a file, one per line (`-` for stdin); a file is checked whole before the first request, stdin stops at a bad line.
    #[arg(long, value_name = "PATH")]
    pub from_file: Option<PathBuf>,

    /// The most batches in flight at once; the run keeps as many as the measured latency needs to send at ZEGO's 20/s quota, up to this bound.
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,

    /// Streams per request, 1 to 20.
    #[arg(long, value_name = "N", default_value_t = 20, value_parser = clap::value_parser!(u8).range(1..=20))]
    pub batch_size: u8,

    /// Append each batch's outcome to this file as it completes; run the same command again with it to skip what is done (needs --from-file PATH, not stdin).
    #[arg(long, value_name = "PATH", requires = "from_file")]
    pub journal: Option<PathBuf>,

    /// Stop after this many consecutive batches failed in a way that fails every batch (wrong secret, unknown AppId, clock, no connection at all).
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    pub fail_fast_after: u32,

    /// Give up after rate-limit answers have lasted this many seconds.
    #[arg(long, value_name = "SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub rate_limit_budget: u64,

    /// List the succeeded stream IDs in the report (with --json: "succeeded_ids").
    #[arg(long)]
    pub list_succeeded: bool,

    /// After SIGINT/SIGTERM, how many seconds in-flight requests may take before the summary is printed anyway.
    #[arg(long, value_name = "SECS", default_value_t = 2, value_parser = clap::value_parser!(u64).range(0..=600))]
    pub grace: u64,
}

/// `zego rule ...`.
#[derive(Debug, Subcommand)]
pub enum RuleCommand {
    /// Ban a stream's audio and/or video in a room for a while (SetForbidStreamRule).
    #[command(after_help = "\
Examples:
  zego rule set --room room1 --stream s1 --audio --duration 6h
  zego rule set --room room1 --stream s1 --audio --video --duration 3600

Durations: seconds (3600) or 90s, 30m, 6h, 1d, 1h30m; at most 86400 s (1d), ZEGO's limit.")]
    Set {
        /// The room ID.
        #[arg(long, value_name = "ROOM_ID")]
        room: String,
        /// The stream ID.
        #[arg(long, value_name = "STREAM_ID")]
        stream: String,
        /// Ban the audio.
        #[arg(long)]
        audio: bool,
        /// Ban the video.
        #[arg(long)]
        video: bool,
        /// How long the rule lasts (at most 1d).
        #[arg(long, value_name = "DURATION", default_value = "6h")]
        duration: String,
    },
    /// Show the rules of up to any number of streams in a room (DescribeForbidStreamRules).
    #[command(after_help = "\
Examples:
  zego rule get --room room1 s1 s2
  zego rule get --room room1 s1 --json

Streams without a rule show \"no rule\".")]
    Get {
        /// The room ID.
        #[arg(long, value_name = "ROOM_ID")]
        room: String,
        /// Stream IDs (sent 10 per request).
        #[arg(value_name = "STREAM_ID", required = true)]
        stream_ids: Vec<String>,
    },
    /// Delete a stream's rule (DelForbidStreamRule).
    #[command(after_help = "\
Example:
  zego rule delete --room room1 --stream s1")]
    Delete {
        /// The room ID.
        #[arg(long, value_name = "ROOM_ID")]
        room: String,
        /// The stream ID.
        #[arg(long, value_name = "STREAM_ID")]
        stream: String,
    },
}

/// `zego cdn ...`.
#[derive(Debug, Subcommand)]
pub enum CdnCommand {
    /// Stop a stream on the CDN (ForbidCDNLiveStream).
    #[command(after_help = "\
Examples:
  zego cdn forbid live1
  zego cdn forbid live1 --resume-at 2030-11-29T19:00:00Z")]
    Forbid {
        /// The stream ID.
        #[arg(value_name = "STREAM_ID")]
        stream_id: String,
        /// Resume automatically at this UTC time, written YYYY-MM-DDTHH:MM:SSZ (WangSu only).
        #[arg(long, value_name = "UTC_TIME")]
        resume_at: Option<String>,
    },
    /// Let a stream play on the CDN again (ResumeCDNLiveStream).
    #[command(after_help = "\
Example:
  zego cdn resume live1")]
    Resume {
        /// The stream ID.
        #[arg(value_name = "STREAM_ID")]
        stream_id: String,
    },
    /// List the streams forbidden on a CDN (QueryForbidCDNLiveStream).
    #[command(after_help = "\
Example:
  zego cdn list --vendor ws")]
    List {
        /// The CDN vendor (ws: WangSu).
        #[arg(long, value_name = "VENDOR", default_value = "ws", value_parser = ["ws"])]
        vendor: String,
    },
}

/// A privilege a user ban rule takes away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Privilege {
    /// Logging in to a room.
    Login,
    /// Publishing a stream.
    Publish,
}

/// Whom a user rule targets.
#[derive(Debug, Args)]
pub struct UserRuleTargetArgs {
    /// RuleType: 1 IP, 2 room, 3 user, 4 user in a room [default: inferred from the fields: --ip 1, --room 2, --user 3, --room and --user 4].
    #[arg(long = "type", value_name = "1..4", value_parser = clap::value_parser!(i64).range(1..=4))]
    pub rule_type: Option<i64>,
    /// The client IP (type 1).
    #[arg(long, value_name = "IP")]
    pub ip: Option<String>,
    /// The room ID (types 2 and 4).
    #[arg(long, value_name = "ROOM_ID")]
    pub room: Option<String>,
    /// The user ID (types 3 and 4).
    #[arg(long, value_name = "USER_ID")]
    pub user: Option<String>,
}

/// `zego user-rule ...`.
#[derive(Debug, Subcommand)]
pub enum UserRuleCommand {
    /// Ban an IP, room, user or user-in-room from logging in and/or publishing (SetForbidUserRule).
    #[command(after_help = "\
Examples:
  zego user-rule set --type 3 --user cheater42 --privilege login --privilege publish --duration 1d
  zego user-rule set --ip 203.0.113.7 --privilege login          # type 1, inferred
  zego user-rule set --room room1 --user u9 --privilege publish --duration 30m   # type 4")]
    Set {
        /// Whom the rule targets.
        #[command(flatten)]
        target: UserRuleTargetArgs,
        /// The privilege to take away (repeat for both).
        #[arg(long, value_name = "PRIVILEGE", required = true)]
        privilege: Vec<Privilege>,
        /// How long the rule lasts (at most 1d).
        #[arg(long, value_name = "DURATION", default_value = "6h")]
        duration: String,
    },
    /// List the user rules of one type (DescribeForbidUserRules).
    #[command(after_help = "\
Example:
  zego user-rule get --type 3")]
    Get {
        /// RuleType: 1 IP, 2 room, 3 user, 4 user in a room.
        #[arg(long = "type", value_name = "1..4", value_parser = clap::value_parser!(i64).range(1..=4))]
        rule_type: i64,
    },
    /// Delete a user rule (DelForbidUserRule).
    #[command(after_help = "\
Examples:
  zego user-rule delete --type 3 --user cheater42
  zego user-rule delete --ip 203.0.113.7              # type 1, inferred")]
    Delete {
        /// Whom the rule targets.
        #[command(flatten)]
        target: UserRuleTargetArgs,
    },
}

/// Arguments of `kick`.
#[derive(Debug, Args)]
pub struct KickArgs {
    /// The room ID.
    #[arg(long, value_name = "ROOM_ID")]
    pub room: String,
    /// User IDs (any number: they are sent 5 per request).
    #[arg(value_name = "USER_ID", required = true)]
    pub user_ids: Vec<String>,
    /// Why, shown to the kicked clients (at most 256 bytes once URL-encoded).
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
}

/// `zego stream ...`.
#[derive(Debug, Subcommand)]
pub enum StreamCommand {
    /// Delete a stream from a room ("take the mic away"); the user stays in the room (DeleteStream).
    #[command(after_help = "\
Example:
  zego stream delete --room room1 --user host-7 --user-name 'Host 7' stream-7")]
    Delete {
        /// The room ID.
        #[arg(long, value_name = "ROOM_ID")]
        room: String,
        /// The user who publishes the stream.
        #[arg(long, value_name = "USER_ID")]
        user: String,
        /// That user's name.
        #[arg(long, value_name = "NAME")]
        user_name: String,
        /// The stream ID.
        #[arg(value_name = "STREAM_ID")]
        stream_id: String,
    },
}

/// `zego room ...`.
#[derive(Debug, Subcommand)]
pub enum RoomCommand {
    /// Close a room: every user is removed and its streams end (CloseRoom).
    #[command(after_help = "\
Examples:
  zego room close room1
  zego room close room1 --reason 'closed by moderation' --callback")]
    Close {
        /// The room ID.
        #[arg(value_name = "ROOM_ID")]
        room: String,
        /// Why, shown to the clients (at most 256 bytes once URL-encoded).
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
        /// Have ZEGO send the room-close callback too (RoomCloseCallback=true).
        #[arg(long)]
        callback: bool,
    },
    /// List the streams in a room (DescribeSimpleStreamList; ZEGO allows 1 per 10 s per room).
    #[command(after_help = "\
Example:
  zego room streams room1 --json")]
    Streams {
        /// The room ID.
        #[arg(value_name = "ROOM_ID")]
        room: String,
    },
    /// List every user of a room, following the pages (DescribeUserList, 1 page per second per room).
    #[command(after_help = "\
Examples:
  zego room users room1
  zego room users room1 --newest-first --json")]
    Users {
        /// The room ID.
        #[arg(value_name = "ROOM_ID")]
        room: String,
        /// Who logged in last comes first [default: who logged in first].
        #[arg(long)]
        newest_first: bool,
    },
    /// Count the users of rooms (DescribeUserNum, 10 rooms per request; an unknown room counts 0).
    #[command(after_help = "\
Example:
  zego room count room1 room2")]
    Count {
        /// Room IDs (sent 10 per request).
        #[arg(value_name = "ROOM_ID", required = true)]
        rooms: Vec<String>,
    },
}

/// Where the bans live, shared by `ban`, `unban` and `bans`.
#[derive(Debug, Args)]
pub struct BanStoreArgs {
    /// The embedded ban store (a SQLite file) [default: bans-<AppId>.sqlite3 beside the config file, in <config dir>/zego]. With --redis (or the profile's redis) the bans live in that Redis instead.
    #[arg(long, value_name = "PATH", env = "ZEGO_BANS_STORE")]
    pub bans_store: Option<PathBuf>,
}

/// What every new ban takes: how long, why, by whom.
#[derive(Debug, Args)]
pub struct BanTermArgs {
    /// How long: seconds (3600) or 90s, 30m, 6h, 3d, 2w, 1h30m; or `forever`. Any length: rules are renewed before ZEGO's 24 hours run out.
    #[arg(long = "for", value_name = "DURATION")]
    pub duration: String,
    /// Why (at most 512 bytes; kept in the audit log, not sent to ZEGO).
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
    /// Who bans (at most 512 bytes; kept in the audit log) [default: the OS user name, else "cli"].
    #[arg(long, value_name = "NAME")]
    pub actor: Option<String>,
    /// Where the bans live.
    #[command(flatten)]
    pub store: BanStoreArgs,
}

/// `zego ban ...`.
#[derive(Debug, Subcommand)]
pub enum BanCommand {
    /// Ban a user, in a room or app-wide: their streams in the room are forbidden, they are kicked, and a user rule keeps them out.
    #[command(after_help = concat!("\
Examples:
  zego ban user troll --room lobby --for 3d --reason spam
  zego ban user troll --for forever --scope publish --reason 'repeat offender'
  zego ban user troll --room lobby --for 2h --reason spam --json

", "The ban is stored first, then applied at once; `zego bans run` (a worker) or `zego bans tick`
(from cron, every few minutes) renews its rules 1 hour before ZEGO's 24 hours run out and
lifts it when it ends. Bad input exits 2 naming the field; nothing is stored or sent.
When ZEGO refuses the rule for its cap of live rules (50123), the ban is still enforced by
its other means (stream forbids, the kick, token refusal): the output says which, and the
rule is retried every 10 minutes."))]
    User {
        /// The user ID.
        #[arg(value_name = "USER_ID")]
        user_id: String,
        /// The room [default: every room (app-wide: the rule only, there is no room to list or kick from)].
        #[arg(long, value_name = "ROOM_ID")]
        room: Option<String>,
        /// What the user may not do, comma-separated.
        #[arg(
            long,
            value_name = "SCOPES",
            value_delimiter = ',',
            default_value = "login,publish"
        )]
        scope: Vec<Privilege>,
        /// How long, why, by whom.
        #[command(flatten)]
        term: BanTermArgs,
    },
    /// Ban a stream ID on RTC (ForbidRTCStreams), resumed when the ban ends.
    #[command(after_help = concat!("\
Examples:
  zego ban stream s1 --for 30m --reason 'offensive content'

", "The ban is stored first, then applied at once; `zego bans run` (a worker) or `zego bans tick`
(from cron) resumes the stream when the ban ends. Bad input exits 2 naming the field;
nothing is stored or sent."))]
    Stream {
        /// The stream ID.
        #[arg(value_name = "STREAM_ID")]
        stream_id: String,
        /// How long, why, by whom.
        #[command(flatten)]
        term: BanTermArgs,
    },
    /// Ban the audio and/or video of a stream in a room (SetForbidStreamRule, renewed past 24 hours).
    #[command(after_help = concat!("\
Examples:
  zego ban media --room lobby --stream s1 --audio --for 2d --reason shouting
  zego ban media --room lobby --stream s1 --audio --video --for forever --reason nsfw

", "The ban is stored first, then applied at once; `zego bans run` (a worker) or `zego bans tick`
(from cron, every few minutes) renews its rule 1 hour before ZEGO's 24 hours run out and
deletes it when the ban ends. Bad input exits 2 naming the field; nothing is stored or sent."))]
    Media {
        /// The room ID.
        #[arg(long, value_name = "ROOM_ID")]
        room: String,
        /// The stream ID.
        #[arg(long, value_name = "STREAM_ID")]
        stream: String,
        /// Ban the audio (at least one of --audio and --video).
        #[arg(long, required_unless_present = "video")]
        audio: bool,
        /// Ban the video (at least one of --audio and --video).
        #[arg(long)]
        video: bool,
        /// How long, why, by whom.
        #[command(flatten)]
        term: BanTermArgs,
    },
}

/// Arguments of `unban`.
#[derive(Debug, Args)]
pub struct UnbanArgs {
    /// A ban ID (b12), or `user USER_ID`, or `stream STREAM_ID`.
    #[arg(value_name = "BAN_ID | user USER_ID | stream STREAM_ID", required = true, num_args = 1..=2)]
    pub target: Vec<String>,
    /// With `user USER_ID`: only the user's bans in this room [default: all of them].
    #[arg(long, value_name = "ROOM_ID")]
    pub room: Option<String>,
    /// Who lifts (kept in the audit log) [default: the OS user name, else "cli"].
    #[arg(long, value_name = "NAME")]
    pub actor: Option<String>,
    /// Where the bans live.
    #[command(flatten)]
    pub store: BanStoreArgs,
}

/// `zego bans ...`.
#[derive(Debug, Subcommand)]
pub enum BansCommand {
    /// List the bans in force (with --all, lifted ones too), with how each is enforced.
    #[command(after_help = "\
Examples:
  zego bans list
  zego bans list --all --json

ENFORCEMENT is full (every means in place), WITHOUT RULE (ZEGO refused the rule for its cap
of live rules, 50123: the means that still hold it are listed), pending, FAILING (retried)
or lifted. A ban past its end shows `ended` until a worker lifts it.")]
    List {
        /// Lifted bans too.
        #[arg(long)]
        all: bool,
        /// Where the bans live.
        #[command(flatten)]
        store: BanStoreArgs,
    },
    /// The audit log: every ban, apply, renewal, lift, unban and failure, with ZEGO's RequestIds (--json: JSON lines).
    #[command(after_help = "\
Examples:
  zego bans audit --user troll
  zego bans audit --stream s1 --json | jq -r .request_ids[]")]
    Audit {
        /// Only entries of bans on this user.
        #[arg(long, value_name = "USER_ID")]
        user: Option<String>,
        /// Only entries of bans on this stream.
        #[arg(long, value_name = "STREAM_ID")]
        stream: Option<String>,
        /// Where the bans live.
        #[command(flatten)]
        store: BanStoreArgs,
    },
    /// A worker: renews and lifts bans as they fall due, until SIGINT/SIGTERM (then it finishes the work under way and exits 0).
    #[command(after_help = "\
Examples:
  zego bans run
  zego bans run --poll 30s --json      # one JSON line per piece of work done

Any number of workers may share a store: each piece of due work is leased to one of them
(60 s); a worker that dies loses its lease and another takes the work over. A worker that
starts after an outage catches up at once.")]
    Run {
        /// The longest rest between passes (the worker wakes earlier for the next renewal or end it knows of; the poll catches bans made meanwhile and work another worker dropped).
        #[arg(long, value_name = "DURATION", default_value = "10s")]
        poll: String,
        /// After SIGINT/SIGTERM, how many seconds the work under way may take before the worker exits anyway (143 / 130; its lease hands the work to another worker).
        #[arg(long, value_name = "SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(0..=3600))]
        grace: u64,
        /// Where the bans live.
        #[command(flatten)]
        store: BanStoreArgs,
    },
    /// One pass of the due work (renewals, lifts, retries), then exit: for cron.
    #[command(after_help = "\
Examples:
  zego bans tick
  */5 * * * * zego bans tick --json >> /var/log/zego-bans.jsonl

Prints what it did; exits 1 if some work failed (it is retried at the next pass once its
60 s lease runs out).")]
    Tick {
        /// Where the bans live.
        #[command(flatten)]
        store: BanStoreArgs,
    },
}

/// Arguments of `call`.
#[derive(Debug, Args)]
pub struct CallArgs {
    /// The action name, e.g. DescribeUserNum.
    #[arg(value_name = "ACTION")]
    pub action: String,
    /// Business parameters as KEY=VALUE (keys ending in [] may repeat).
    #[arg(value_name = "KEY=VALUE")]
    pub params: Vec<String>,
}

/// Arguments of `sim`.
#[cfg(feature = "sim")]
#[derive(Debug, Args)]
pub struct SimArgs {
    /// Port to listen on, on 127.0.0.1 (0: any free port).
    #[arg(long, value_name = "PORT", default_value_t = 0)]
    pub port: u16,
    /// An app the simulator accepts, as APP_ID:SECRET (repeatable; in ZEGO_SIM_APPS comma-separated, which keeps the secret out of `ps`) [default: the demo app].
    #[arg(
        long = "app",
        value_name = "APP_ID:SECRET",
        env = "ZEGO_SIM_APPS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub apps: Vec<String>,
    /// Faults to inject, e.g. 'transient=0.2,delay=200ms;seed=7'.
    #[arg(long, value_name = "SPEC")]
    pub faults: Option<String>,
    /// Append every request as a JSON line to this file (signatures redacted).
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Seed of the simulator's RequestIds and fault draws.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// POST ZEGO's signed stream callbacks here: stream_create when a stream is published
    /// (POST /_sim/streams/ID/publish?room_id=R&user_id=U), stream_close when it is closed
    /// (POST /_sim/streams/ID/close?type=N); failed deliveries are retried after 2, 4, 8, 16
    /// and 32 s. Loopback only, unless --allow-remote-callbacks.
    #[arg(long, value_name = "URL")]
    pub callback_url: Option<String>,
    /// The CallbackSecret the callbacks are signed with (needed with --callback-url; in
    /// ZEGO_SIM_CALLBACK_SECRET it stays out of `ps`).
    #[arg(
        long,
        value_name = "SECRET",
        env = "ZEGO_SIM_CALLBACK_SECRET",
        hide_env_values = true
    )]
    pub callback_secret: Option<String>,
    /// Allow a --callback-url whose host is not this machine.
    #[arg(long, requires = "callback_url")]
    pub allow_remote_callbacks: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn exit_codes_are_documented_in_help() {
        let help = Cli::command().render_help().to_string();
        for code in ["0  success", "1  ZEGO answered", "2  usage", "3  transport"] {
            assert!(help.contains(code), "{help}");
        }
    }
}
