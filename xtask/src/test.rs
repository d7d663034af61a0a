//! `cargo xtask test`: the README's test command. Installs the programs the tests run for real
//! when they are missing (Debian and Ubuntu: apt, through sudo when not root; elsewhere it
//! says what to install and stops), then runs the workspace's tests.

use std::path::Path;
use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};

/// The programs the tests run for real, each with the Debian package that installs it and
/// the tests that use it: the one list (the tests' own failure messages point here).
pub const PROGRAMS: &[(&str, &str, &str)] = &[
    (
        "redis-server",
        "redis-server",
        "the widget's Redis quota store (tests/tests/suite/widget.rs)",
    ),
    (
        "nginx",
        "nginx-light",
        "the widget behind a real reverse proxy (tests/tests/suite/widget.rs)",
    ),
    (
        "chromium",
        "chromium",
        "the widget demo in a real browser (otp-widget/tests/browser.rs)",
    ),
    (
        "chromedriver",
        "chromium-driver",
        "the widget demo in a real browser (otp-widget/tests/browser.rs)",
    ),
];

/// Installs what is missing, then runs `cargo test --workspace ARGS`; exits as the tests do.
pub fn run(args: &[String]) -> Result<ExitCode> {
    install_missing()?;
    let status = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["test", "--workspace"])
        .args(args)
        .current_dir(crate::paths::root())
        .status()
        .context("running cargo test")?;
    Ok(match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        None => ExitCode::FAILURE,
    })
}

/// Whether `program` is on `PATH`.
pub fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

fn install_missing() -> Result<()> {
    let missing: Vec<&(&str, &str, &str)> = PROGRAMS
        .iter()
        .filter(|(program, ..)| !on_path(program))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let mut packages: Vec<&str> = missing.iter().map(|(_, package, _)| *package).collect();
    packages.dedup();
    for (program, package, used_by) in &missing {
        eprintln!("missing `{program}` (Debian package {package}), for {used_by}");
    }
    if !Path::new("/etc/debian_version").exists() {
        bail!(
            "this is not Debian or Ubuntu: install {} with the system's package manager (the \
             programs: {}), then run `cargo xtask test` again",
            packages.join(", "),
            missing
                .iter()
                .map(|(p, ..)| *p)
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let root = is_root();
    if !root && !on_path("sudo") {
        bail!(
            "installing {} needs root: run `apt-get install -y {}` as root, then `cargo xtask test`",
            packages.join(", "),
            packages.join(" ")
        );
    }
    let apt = |args: &[&str]| -> Result<()> {
        let mut command = if root {
            Command::new("apt-get")
        } else {
            let mut sudo = Command::new("sudo");
            sudo.arg("apt-get");
            sudo
        };
        eprintln!(
            "running: {}apt-get {}",
            if root { "" } else { "sudo " },
            args.join(" ")
        );
        let status = command
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .context("running apt-get")?;
        if !status.success() {
            bail!("apt-get {} failed ({status})", args.join(" "));
        }
        Ok(())
    };
    apt(&["update", "-qq"])?;
    let mut install = vec!["install", "-y", "-qq"];
    install.extend(&packages);
    apt(&install)?;
    let still: Vec<&str> = missing
        .iter()
        .map(|(p, ..)| *p)
        .filter(|p| !on_path(p))
        .collect();
    if !still.is_empty() {
        bail!(
            "installed {}, and still not on PATH: {} (on Ubuntu, chromium comes as a snap: \
             install it and its driver from a Debian-packaged source)",
            packages.join(", "),
            still.join(", ")
        );
    }
    Ok(())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}
