//! The widget demo in a real browser: the `widget-demo` example (the widget back end over an
//! embedded sandbox, and a plain HTML + JS page), loaded in headless Chromium through
//! chromedriver (Debian's `chromium` and `chromium-driver`), in its automatic mode. The
//! page's final DOM must say the phone was verified, and, after a wrong code, how many
//! attempts were left.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// A child process killed when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The `widget-demo` example, running with fast sandbox timings; returns it and its URL.
fn demo(extra: &[&str]) -> (Running, String) {
    let exe = std::env::current_exe().unwrap();
    let examples = exe
        .parent()
        .and_then(|deps| deps.parent())
        .unwrap()
        .join("examples");
    let binary = examples.join(format!("widget-demo{}", std::env::consts::EXE_SUFFIX));
    // `cargo test -p otp-widget` (or `--workspace`) builds this package's examples before
    // its tests run; `--test browser` alone does not.
    let rebuild =
        "`cargo build -p otp-widget --example widget-demo`, or run `cargo test -p otp-widget`";
    let built = std::fs::metadata(&binary)
        .and_then(|m| m.modified())
        .unwrap_or_else(|_| panic!("{} is missing: {rebuild}", binary.display()));
    for source in ["examples/widget-demo.rs", "examples/widget-demo/index.html"] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(source);
        let changed = std::fs::metadata(&path).and_then(|m| m.modified()).unwrap();
        assert!(
            changed <= built,
            "{} is older than {source}: {rebuild}",
            binary.display()
        );
    }
    let mut child = Command::new(&binary)
        .args(["--listen", "127.0.0.1:0", "--fast"])
        .args(extra)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", binary.display()));
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("open ")
        .unwrap_or_else(|| panic!("the demo printed `{line}`, not its URL"))
        .to_string();
    (Running(child), url)
}

/// chromedriver on a free port, driving Debian's Chromium headless.
struct Browser {
    _driver: Running,
    http: reqwest::blocking::Client,
    session: String,
    base: String,
}

impl Browser {
    fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "this test needs `chromedriver` and `chromium` ({e}): `cargo xtask test` installs them and runs the tests (Debian: `apt-get install chromium chromium-driver`)"
                )
            });
        let driver = Running(driver);
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let started = Instant::now();
        while !http
            .get(format!("{base}/status"))
            .send()
            .ok()
            .and_then(|r| r.json::<Value>().ok())
            .is_some_and(|s| s["value"]["ready"] == true)
        {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver is not ready"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let binary = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
            .into_iter()
            .find(|b| std::path::Path::new(b).exists())
            .expect("Chromium at /usr/bin/chromium (Debian: `apt-get install chromium`)");
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": binary,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                ],
            },
        }}});
        let created: Value = http
            .post(format!("{base}/session"))
            .json(&capabilities)
            .send()
            .unwrap()
            .json()
            .unwrap();
        let session = created["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no browser session: {created}"))
            .to_string();
        Self {
            _driver: driver,
            http,
            session,
            base,
        }
    }

    fn command(&self, path: &str, body: Value) -> Value {
        let url = format!("{}/session/{}/{path}", self.base, self.session);
        let answer: Value = self
            .http
            .post(url)
            .json(&body)
            .send()
            .unwrap()
            .json()
            .unwrap();
        answer["value"].clone()
    }

    fn open(&self, url: &str) {
        self.command("url", json!({"url": url}));
    }

    /// Runs `script` in the page; its return value.
    fn eval(&self, script: &str) -> Value {
        self.command("execute/sync", json!({"script": script, "args": []}))
    }

    /// Waits until the page's `#result` leaves `pending`; the page's final DOM then.
    fn outcome(&self) -> Value {
        let started = Instant::now();
        loop {
            let dom = self.eval(
                "const r = document.getElementById('result'); \
                 return {state: r.dataset.state, result: r.textContent, \
                         attempts: document.getElementById('attempts').textContent, \
                         channel: document.getElementById('channel').textContent, \
                         cooldown: document.getElementById('cooldown').dataset.seen || '', \
                         log: document.getElementById('log').textContent};",
            );
            if dom["state"] != "pending" {
                return dom;
            }
            assert!(
                started.elapsed() < Duration::from_secs(90),
                "the page did not finish: {dom:#}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self
            .http
            .delete(format!("{}/session/{}", self.base, self.session))
            .send();
    }
}

#[test]
fn the_demo_verifies_a_phone_in_a_real_browser() {
    let browser = Browser::start();

    // A code channel, the right code at once.
    let (_demo, url) = demo(&[]);
    browser.open(&format!("{url}?auto"));
    let dom = browser.outcome();
    assert_eq!(dom["state"], "verified", "{dom:#}");
    assert_eq!(dom["result"], "Verified: +7999***4563", "{dom:#}");

    // A wrong code first: the page shows the attempts left, then verifies with the right one.
    browser.open(&format!("{url}?auto&wrong"));
    let dom = browser.outcome();
    assert_eq!(dom["state"], "verified", "{dom:#}");
    assert_eq!(dom["attempts"], "Wrong code: 2 attempts left", "{dom:#}");
    assert!(
        dom["log"]
            .as_str()
            .unwrap()
            .contains("checkCode → 400 InvalidCodeException"),
        "{dom:#}"
    );

    // Asked for again at once: the page waits out the cooldown the service gives, then the
    // code comes by the next channel.
    browser.open(&format!("{url}?auto&resend"));
    let dom = browser.outcome();
    assert_eq!(dom["state"], "verified", "{dom:#}");
    assert_eq!(
        dom["result"], "Verified: +7999***4563 (after a resend)",
        "{dom:#}"
    );
    assert_eq!(dom["cooldown"], "yes", "the cooldown was shown: {dom:#}");
    assert_eq!(dom["channel"], "We sent a code by VOICE.", "{dom:#}");

    // The demo exports the widget's counters for Prometheus: the four messages above (the
    // three sends and the resend, which sends one too), and the service's two refusals (the
    // wrong code, the resend asked for during its cooldown).
    let metrics = reqwest::blocking::get(format!("{url}metrics"))
        .and_then(|r| r.text())
        .expect("GET /metrics");
    assert!(
        metrics.contains("otp_widget_sends_total{country=\"RU\"} 4"),
        "{metrics}"
    );
    assert!(
        metrics.contains("otp_widget_refusals_total{reason=\"service_refused\"} 2"),
        "{metrics}"
    );

    // A codeless channel: the user confirms on the phone (the sandbox does, after a second).
    let (_codeless, url) = demo(&["--codeless"]);
    browser.open(&format!("{url}?auto"));
    let dom = browser.outcome();
    assert_eq!(dom["state"], "verified", "{dom:#}");
}
