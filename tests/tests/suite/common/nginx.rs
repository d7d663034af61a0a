//! A real nginx, started for a test on a free port as a reverse proxy in front of a local
//! server (`X-Forwarded-For: $proxy_add_x_forwarded_for`, as deployments set it), and
//! stopped when dropped. A machine without nginx fails the test with what to install, never
//! skips it.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// A running nginx; stopped, and its folder removed, when dropped.
pub struct Nginx {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Nginx {
    /// nginx on 127.0.0.1, forwarding every request to `upstream` as it came, with the
    /// client's address appended to `X-Forwarded-For`.
    pub fn proxy_to(upstream: SocketAddr) -> Self {
        let port = super::free_port();
        let dir = std::env::temp_dir().join(format!("otp-nginx-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let d = dir.display();
        let config = format!(
            "daemon off;\nmaster_process off;\nworker_processes 1;\npid {d}/nginx.pid;\n\
             error_log {d}/error.log;\nevents {{ worker_connections 256; }}\n\
             http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  \
             proxy_temp_path {d}/proxy;\n  fastcgi_temp_path {d}/fastcgi;\n  \
             uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n  server {{\n    \
             listen 127.0.0.1:{port};\n    location / {{\n      proxy_pass http://{upstream};\n      \
             proxy_set_header Host $host;\n      \
             proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n    }}\n  }}\n}}\n"
        );
        let conf = dir.join("nginx.conf");
        std::fs::write(&conf, config).unwrap();
        // Root's PATH has /usr/sbin, where Debian puts it; another user's may not.
        let program = ["nginx", "/usr/sbin/nginx"]
            .into_iter()
            .find(|p| {
                Command::new(p)
                    .arg("-v")
                    .stderr(Stdio::null())
                    .status()
                    .is_ok()
            })
            .unwrap_or_else(|| {
                panic!(
                    "this test needs a real `nginx` (on PATH or /usr/sbin): `cargo xtask test` installs it and runs the tests (Debian: `apt-get install nginx-light`)"
                )
            });
        let child = Command::new(program)
            .arg("-p")
            .arg(&dir)
            .arg("-e")
            .arg(dir.join("error.log"))
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("nginx did not start: {e}"));
        super::wait_until_listening(port, "nginx", || {
            let log = std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
            format!(": {log}")
        });
        Self { child, port, dir }
    }

    /// Where browsers reach it: `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
