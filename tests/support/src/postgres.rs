//! Owns the throwaway PostgreSQL server the tests and benchmarks use: one cluster per process,
//! on a unix socket in a temporary folder with fsync off (commits are still written before they
//! return, so a server stopped outright keeps them), started on first use and stopped when the
//! process exits; one fresh database per caller ([`fresh_database`]); and a server of a test's
//! own to stop and start again ([`OwnServer`]).
//!
//! With `TEST_DATABASE_URL` set (a server the caller runs), databases are created there instead.
//! A machine without PostgreSQL's binaries fails the tests that need it rather than skipping
//! them: a skipped test proves nothing.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

struct Cluster {
    /// Connection URL of the `postgres` database, as a superuser.
    admin: String,
}

static CLUSTER: OnceLock<Result<Cluster, String>> = OnceLock::new();
/// The data folder of the cluster this process started, for stopping it at exit.
static STARTED: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();

/// The folder of PostgreSQL's server programs: `$PG_BIN`, else the newest
/// `/usr/lib/postgresql/*/bin`, else whatever `initdb` on the PATH belongs to.
fn bin_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let v = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Runs a PostgreSQL program, as the `postgres` user when this process is root (the server
/// refuses to run as root).
fn run(program: &Path, args: &[&str]) -> Result<(), String> {
    let mut cmd = if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    };
    let out = cmd
        .args(args)
        .output()
        .map_err(|e| format!("{}: {e}", program.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} {}: {}{}",
            program.display(),
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(())
}

extern "C" fn stop_at_exit() {
    if let (Some(bin), Some((dir, data))) = (bin_dir(), STARTED.get()) {
        let data = data.to_string_lossy().into_owned();
        let _ = run(
            &bin.join("pg_ctl"),
            &["-D", &data, "-m", "immediate", "stop"],
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// Creates and starts a cluster in a new temporary folder: (folder, data folder).
fn create(bin: &Path) -> Result<(PathBuf, PathBuf), String> {
    let dir = std::env::temp_dir().join(format!(
        "ttb-pg-{}-{:x}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    if is_root() {
        let ok = Command::new("chown")
            .args(["postgres:postgres"])
            .arg(&dir)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            return Err(format!(
                "cannot give {} to the postgres user",
                dir.display()
            ));
        }
    }
    let data = dir.join("data");
    let d = data.to_string_lossy().into_owned();
    run(
        &bin.join("initdb"),
        &[
            "-D",
            &d,
            "--no-sync",
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C",
        ],
    )?;
    pg_start(bin, &dir, &data)?;
    Ok((dir, data))
}

fn pg_start(bin: &Path, dir: &Path, data: &Path) -> Result<(), String> {
    let s = dir.to_string_lossy();
    let options = format!(
        "-k {s} -c listen_addresses='' -c fsync=off -c full_page_writes=off \
         -c max_connections=300"
    );
    let log = dir.join("server.log").to_string_lossy().into_owned();
    let d = data.to_string_lossy();
    run(
        &bin.join("pg_ctl"),
        &["-D", &d, "-o", &options, "-l", &log, "-w", "start"],
    )
}

fn pg_stop(bin: &Path, data: &Path) -> Result<(), String> {
    let d = data.to_string_lossy();
    run(
        &bin.join("pg_ctl"),
        &["-D", &d, "-m", "immediate", "-w", "stop"],
    )
}

fn start() -> Result<Cluster, String> {
    if let Ok(url) = std::env::var("TEST_DATABASE_URL") {
        return Ok(Cluster { admin: url });
    }
    let bin = bin_dir().ok_or(
        "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb; set PG_BIN or \
         TEST_DATABASE_URL, or `apt-get install postgresql`)",
    )?;
    let (dir, data) = create(&bin)?;
    let _ = STARTED.set((dir.clone(), data));
    // SAFETY: registers a plain function with no captured state, run once at process exit.
    unsafe {
        libc_atexit(stop_at_exit);
    }
    Ok(Cluster {
        admin: url_for(&dir, "postgres"),
    })
}

/// A PostgreSQL server of one test's own, to stop and start again (a database going away and
/// coming back); removed when dropped. Panics when PostgreSQL cannot be started.
pub struct OwnServer {
    bin: PathBuf,
    dir: PathBuf,
    data: PathBuf,
}

impl OwnServer {
    pub fn start() -> OwnServer {
        let bin = bin_dir().expect("PostgreSQL's server programs (apt-get install postgresql)");
        let (dir, data) = create(&bin).unwrap_or_else(|e| panic!("starting PostgreSQL: {e}"));
        OwnServer { bin, dir, data }
    }

    /// The URL of its `postgres` database.
    pub fn url(&self) -> String {
        url_for(&self.dir, "postgres")
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }

    /// Stops the server at once (as a crash would).
    pub fn stop(&self) {
        pg_stop(&self.bin, &self.data).unwrap_or_else(|e| panic!("stopping PostgreSQL: {e}"));
    }

    /// Starts it again on the same socket.
    pub fn restart(&self) {
        pg_start(&self.bin, &self.dir, &self.data)
            .unwrap_or_else(|e| panic!("starting PostgreSQL again: {e}"));
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        let _ = pg_stop(&self.bin, &self.data);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

unsafe extern "C" {
    #[link_name = "atexit"]
    fn libc_atexit(f: extern "C" fn()) -> i32;
}

/// A URL for `db` over the socket in `dir`.
fn url_for(dir: &Path, db: &str) -> String {
    let host: String = dir
        .to_string_lossy()
        .bytes()
        .map(|b| match b {
            b'/' => "%2F".to_string(),
            b if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.' => {
                (b as char).to_string()
            }
            b => format!("%{b:02X}"),
        })
        .collect();
    format!("postgresql://postgres@{host}/{db}")
}

/// The URL of a new, empty database (named `t_<pid>_<n>`) on the test cluster, started if this
/// process has not yet. Panics when PostgreSQL cannot be started.
pub async fn fresh_database() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let cluster = tokio::task::spawn_blocking(|| {
        CLUSTER
            .get_or_init(start)
            .as_ref()
            .map(|c| c.admin.clone())
            .map_err(Clone::clone)
    })
    .await
    .expect("starting PostgreSQL");
    let admin = cluster.unwrap_or_else(|e| panic!("no PostgreSQL for the tests: {e}"));
    let name = format!(
        "t_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let (client, connection) = tokio_postgres::connect(&admin, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("connecting to the test PostgreSQL: {e}"));
    let conn = tokio::spawn(connection);
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
    drop(client);
    let _ = conn.await;
    // The admin URL with its database replaced.
    match admin.rsplit_once('/') {
        Some((base, rest)) => match rest.split_once('?') {
            Some((_, query)) => format!("{base}/{name}?{query}"),
            None => format!("{base}/{name}"),
        },
        None => admin,
    }
}
