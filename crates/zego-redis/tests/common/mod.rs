//! A real `redis-server` per test: on a free loopback port, without persistence, in its
//! own temporary directory, stopped by its PID. Installed from Debian's packages when it is
//! missing and the tests run as root (as on a fresh CI machine).
#![allow(dead_code)] // Each test binary uses its own part of this module.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Makes sure `redis-server` is on the PATH, installing it with apt-get if possible.
pub fn ensure_redis_server() {
    static INSTALL: Mutex<bool> = Mutex::new(false);
    let mut checked = INSTALL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if *checked {
        return;
    }
    let present = || {
        Command::new("redis-server")
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !present() {
        eprintln!("redis-server is missing: installing Debian's redis-server package");
        let apt = |args: &[&str]| {
            Command::new("apt-get")
                .args(["-o", "DPkg::Lock::Timeout=300", "-qq"])
                .args(args)
                .env("DEBIAN_FRONTEND", "noninteractive")
                .status()
        };
        let _ = apt(&["update"]);
        let _ = apt(&["install", "-y", "redis-server"]);
    }
    assert!(
        present(),
        "redis-server is not installed and could not be installed (run as root: \
         apt-get update && apt-get install -y redis-server)"
    );
    *checked = true;
}

/// A free loopback port (bound then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// A private CA's files for `redis-server`'s TLS: the CA, and a leaf it signed for
/// `127.0.0.1` (the tests make them with `zego_conformance::tls::private_ca`, a dependency
/// not every includer of this module has), in a temporary directory removed when dropped.
pub struct TlsFiles {
    dir: PathBuf,
    /// The CA certificate, PEM: what a client trusts.
    pub ca_pem: String,
}

impl TlsFiles {
    /// Writes the CA certificate, the leaf and the leaf's key (PEM) to a new directory.
    pub fn new(ca_pem: &str, leaf_pem: &str, leaf_key_pem: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "zego-redis-tls-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        for (file, pem) in [
            ("ca.pem", ca_pem),
            ("server.pem", leaf_pem),
            ("server.key", leaf_key_pem),
        ] {
            std::fs::write(dir.join(file), pem).expect("the TLS files");
        }
        Self {
            dir,
            ca_pem: ca_pem.to_owned(),
        }
    }

    /// The settings that serve TLS on `tls_port` (without client certificates), and use
    /// it between a replica and its primary, a sentinel and the servers, Cluster nodes.
    fn settings(&self, tls_port: u16) -> Vec<(&'static str, String)> {
        let file = |name: &str| self.dir.join(name).display().to_string();
        vec![
            ("tls-port", tls_port.to_string()),
            ("tls-cert-file", file("server.pem")),
            ("tls-key-file", file("server.key")),
            ("tls-ca-cert-file", file("ca.pem")),
            ("tls-auth-clients", "no".to_owned()),
            ("tls-replication", "yes".to_owned()),
        ]
    }

    /// [`TlsFiles::settings`] as `redis-server` arguments.
    fn server_args(&self, tls_port: u16) -> Vec<String> {
        self.settings(tls_port)
            .into_iter()
            .flat_map(|(key, value)| [format!("--{key}"), value])
            .collect()
    }

    /// [`TlsFiles::settings`] as configuration-file lines.
    fn config_lines(&self, tls_port: u16) -> String {
        self.settings(tls_port)
            .into_iter()
            .fold(String::new(), |lines, (key, value)| {
                lines + key + " " + &value + "\n"
            })
    }
}

impl Drop for TlsFiles {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A running `redis-server`; stopped (SIGKILL by PID) when dropped.
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
    /// Extra `redis-server` arguments (e.g. `--requirepass`).
    args: Vec<String>,
}

impl RedisServer {
    /// Starts a server on a free port and waits until it answers PING.
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// Starts a server with extra arguments (`--requirepass PASSWORD` makes the URL of
    /// [`RedisServer::url`] carry the password).
    pub fn start_with(args: &[&str]) -> Self {
        ensure_redis_server();
        for _ in 0..5 {
            if let Some(server) = Self::try_start(free_port(), args) {
                return server;
            }
        }
        panic!("redis-server did not start");
    }

    /// Starts a server that also serves TLS ([`RedisServer::tls_url`]) with `files`' leaf;
    /// the plain port stays open for the test's own inspection.
    pub fn start_tls(files: &TlsFiles, args: &[&str]) -> Self {
        let mut all = files.server_args(free_port());
        all.extend(args.iter().map(|a| (*a).to_owned()));
        Self::start_with(&all.iter().map(String::as_str).collect::<Vec<_>>())
    }

    /// The TLS port of a server started with [`RedisServer::start_tls`].
    pub fn tls_port(&self) -> Option<u16> {
        let at = self.args.iter().position(|a| a == "--tls-port")?;
        self.args.get(at + 1)?.parse().ok()
    }

    /// `rediss://127.0.0.1:TLS_PORT/`.
    pub fn tls_url(&self) -> String {
        format!(
            "rediss://127.0.0.1:{}/",
            self.tls_port().expect("a TLS server")
        )
    }

    fn try_start(port: u16, args: &[&str]) -> Option<Self> {
        let dir =
            std::env::temp_dir().join(format!("zego-redis-test-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).ok()?;
        let mut server = Self {
            child: None,
            port,
            dir,
            args: args.iter().map(|a| (*a).to_owned()).collect(),
        };
        server.spawn().then_some(server)
    }

    /// Spawns `redis-server` on this server's port and waits for PING.
    fn spawn(&mut self) -> bool {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&self.dir)
            .args(&self.args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let Ok(child) = child else { return false };
        self.child = Some(child);
        if self.wait_ready(Duration::from_secs(10)) {
            true
        } else {
            self.kill();
            false
        }
    }

    fn wait_ready(&mut self, timeout: Duration) -> bool {
        let started = Instant::now();
        let client = redis::Client::open(self.url()).expect("a loopback URL");
        while started.elapsed() < timeout {
            if let Some(child) = &mut self.child {
                if let Ok(Some(_)) = child.try_wait() {
                    return false; // exited: the port was taken
                }
            }
            if let Ok(mut conn) = client.get_connection_with_timeout(Duration::from_millis(200)) {
                if redis::cmd("PING").query::<String>(&mut conn).is_ok() {
                    return true;
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// `redis://[:PASSWORD@]127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        let password = self
            .args
            .iter()
            .position(|a| a == "--requirepass")
            .and_then(|at| self.args.get(at + 1));
        match password {
            Some(password) => format!("redis://:{password}@127.0.0.1:{}/", self.port),
            None => format!("redis://127.0.0.1:{}/", self.port),
        }
    }

    /// The server's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's PID.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Kills the server (SIGKILL), keeping the port for [`RedisServer::restart`].
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port, empty (no persistence).
    pub fn restart(&mut self) {
        self.kill();
        assert!(self.spawn(), "redis-server restarts on its port");
    }

    /// A synchronous connection, for inspecting keys.
    pub fn connection(&self) -> redis::Connection {
        redis::Client::open(self.url())
            .and_then(|c| c.get_connection())
            .expect("a connection to the test Redis")
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A `redis-server --sentinel` on a free port, monitoring `master` at `primary_port` (quorum
/// 2, down after 1 s); stopped (SIGKILL by PID) when dropped.
pub struct Sentinel {
    child: Option<Child>,
    port: u16,
    tls_port: Option<u16>,
    dir: PathBuf,
}

impl Sentinel {
    /// Starts a sentinel and waits until it answers PING.
    pub fn start(master: &str, primary_port: u16) -> Self {
        Self::start_with(master, primary_port, None)
    }

    /// Starts a sentinel, serving TLS too and reaching the servers over TLS with `tls`
    /// (`primary_port` is then the primary's TLS port).
    pub fn start_with(master: &str, primary_port: u16, tls: Option<&TlsFiles>) -> Self {
        ensure_redis_server();
        for _ in 0..5 {
            let port = free_port();
            let tls_port = tls.map(|_| free_port());
            let tls_lines = tls
                .zip(tls_port)
                .map_or(String::new(), |(files, tls_port)| {
                    files.config_lines(tls_port)
                });
            let dir = std::env::temp_dir()
                .join(format!("zego-sentinel-test-{}-{port}", std::process::id()));
            std::fs::create_dir_all(&dir).expect("a temporary directory");
            let conf = dir.join("sentinel.conf");
            std::fs::write(
                &conf,
                format!(
                    "port {port}\nbind 127.0.0.1\ndir {}\n{tls_lines}\
                     sentinel monitor {master} 127.0.0.1 {primary_port} 2\n\
                     sentinel down-after-milliseconds {master} 1000\n\
                     sentinel failover-timeout {master} 3000\n\
                     sentinel parallel-syncs {master} 1\n",
                    dir.display()
                ),
            )
            .expect("the sentinel's configuration");
            let child = Command::new("redis-server")
                .arg(&conf)
                .arg("--sentinel")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("redis-server --sentinel");
            let mut sentinel = Self {
                child: Some(child),
                port,
                tls_port,
                dir,
            };
            if sentinel.wait_ready(Duration::from_secs(10)) {
                return sentinel;
            }
        }
        panic!("redis-server --sentinel did not start");
    }

    fn wait_ready(&mut self, timeout: Duration) -> bool {
        let started = Instant::now();
        let client = redis::Client::open(format!("redis://127.0.0.1:{}/", self.port)).unwrap();
        while started.elapsed() < timeout {
            if let Some(child) = &mut self.child {
                if let Ok(Some(_)) = child.try_wait() {
                    return false;
                }
            }
            if let Ok(mut conn) = client.get_connection_with_timeout(Duration::from_millis(200)) {
                if redis::cmd("PING").query::<String>(&mut conn).is_ok() {
                    return true;
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// `127.0.0.1:PORT`.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `127.0.0.1:TLS_PORT`, for a sentinel started with TLS.
    pub fn tls_address(&self) -> String {
        format!("127.0.0.1:{}", self.tls_port.expect("a TLS sentinel"))
    }
}

impl Drop for Sentinel {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A primary, one replica and three sentinels monitoring them as `master`.
pub struct SentinelSetup {
    pub primary: RedisServer,
    pub replica: RedisServer,
    pub sentinels: Vec<Sentinel>,
}

impl SentinelSetup {
    pub fn start(master: &str) -> Self {
        let primary = RedisServer::start();
        let primary_port = primary.port().to_string();
        let replica = RedisServer::start_with(&["--replicaof", "127.0.0.1", &primary_port]);
        let sentinels = (0..3)
            .map(|_| Sentinel::start(master, primary.port()))
            .collect();
        Self {
            primary,
            replica,
            sentinels,
        }
    }

    /// The same over TLS: the servers and the sentinels serve TLS besides their plain
    /// ports, and replicate and monitor over TLS (the sentinels name TLS ports).
    pub fn start_tls(master: &str, files: &TlsFiles) -> Self {
        let primary = RedisServer::start_tls(files, &[]);
        let primary_port = primary.tls_port().expect("a TLS primary");
        let replica = RedisServer::start_tls(
            files,
            &["--replicaof", "127.0.0.1", &primary_port.to_string()],
        );
        let sentinels = (0..3)
            .map(|_| Sentinel::start_with(master, primary_port, Some(files)))
            .collect();
        Self {
            primary,
            replica,
            sentinels,
        }
    }

    /// `rediss+sentinel://S1,S2,S3/NAME`, the sentinels' TLS ports.
    pub fn tls_url(&self, name: &str) -> String {
        let addresses: Vec<String> = self.sentinels.iter().map(Sentinel::tls_address).collect();
        format!("rediss+sentinel://{}/{name}", addresses.join(","))
    }

    /// `redis+sentinel://S1,S2,S3/NAME`.
    pub fn url(&self, name: &str) -> String {
        let addresses: Vec<String> = self.sentinels.iter().map(Sentinel::address).collect();
        format!("redis+sentinel://{}/{name}", addresses.join(","))
    }
}

/// A Redis Cluster of three primaries and three replicas (`--cluster-enabled yes`, node
/// timeout 1 s), created with `redis-cli --cluster create ... --cluster-replicas 1`.
pub struct ClusterSetup {
    pub nodes: Vec<RedisServer>,
}

impl ClusterSetup {
    pub fn start() -> Self {
        Self::start_with(None)
    }

    /// With `tls`, every node also serves TLS, and the nodes talk over TLS (`tls-cluster`):
    /// a TLS client gets the TLS ports in the slot map.
    pub fn start_with(tls: Option<&TlsFiles>) -> Self {
        let args = [
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            "nodes.conf",
            "--cluster-node-timeout",
            "1000",
        ];
        let nodes: Vec<RedisServer> = (0..6)
            .map(|_| match tls {
                None => RedisServer::start_with(&args),
                Some(files) => {
                    RedisServer::start_tls(files, &[&args[..], &["--tls-cluster", "yes"]].concat())
                }
            })
            .collect();
        let addresses: Vec<String> = nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port()))
            .collect();
        let status = Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(&addresses)
            .args(["--cluster-replicas", "1", "--cluster-yes"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("redis-cli");
        assert!(status.success(), "redis-cli --cluster create");
        let setup = Self { nodes };
        let started = Instant::now();
        while !setup.is_ok() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the cluster did not become ok"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        setup
    }

    /// Every node sees the cluster ok, and every replica has synced with its primary (a
    /// replica that never synced cannot be promoted).
    fn is_ok(&self) -> bool {
        self.nodes.iter().all(|n| {
            let mut connection = n.connection();
            let cluster_ok = redis::cmd("CLUSTER")
                .arg("INFO")
                .query::<String>(&mut connection)
                .is_ok_and(|info| info.contains("cluster_state:ok"));
            let synced = redis::cmd("INFO")
                .arg("replication")
                .query::<String>(&mut connection)
                .is_ok_and(|info| {
                    info.contains("role:master") || info.contains("master_link_status:up")
                });
            cluster_ok && synced
        })
    }

    /// `redis+cluster://` with the first two nodes as seeds.
    pub fn url(&self) -> String {
        format!(
            "redis+cluster://127.0.0.1:{},127.0.0.1:{}",
            self.nodes[0].port(),
            self.nodes[1].port()
        )
    }

    /// `rediss+cluster://` with the first two nodes' TLS ports as seeds.
    pub fn tls_url(&self) -> String {
        format!(
            "rediss+cluster://127.0.0.1:{},127.0.0.1:{}",
            self.nodes[0].tls_port().expect("a TLS node"),
            self.nodes[1].tls_port().expect("a TLS node")
        )
    }

    /// The node that serves `key` as a primary (the others answer MOVED), if any.
    pub fn owner_of(&self, key: &str) -> Option<usize> {
        self.nodes.iter().position(|n| {
            redis::Client::open(n.url())
                .and_then(|c| c.get_connection_with_timeout(Duration::from_millis(300)))
                .and_then(|mut c| redis::cmd("EXISTS").arg(key).query::<i64>(&mut c))
                .is_ok()
        })
    }
}
